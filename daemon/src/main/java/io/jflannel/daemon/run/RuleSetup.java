package io.jflannel.daemon.run;

import io.jflannel.daemon.flags.FlanneldOptions;
import io.jflannel.daemon.metrics.Metrics;
import io.jflannel.daemon.rules.FamilyNets;
import io.jflannel.daemon.rules.RulePlan;
import io.jflannel.daemon.rules.RuleResync;
import io.jflannel.daemon.rules.RuleSetupException;
import io.jflannel.daemon.rules.RuleTools;
import io.jflannel.daemon.rules.TrafficRules;
import io.jflannel.subnet.IpNet;
import io.jflannel.subnet.Lease;
import io.jflannel.subnet.NetworkConfig;
import io.jflannel.subnet.SubnetEnv;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Installs the masquerade and forward rules for the lease (iptables of the detected flavour, or
 * nftables), after removing the other mode's rules and those computed from the previous
 * subnet.env when the network or subnet changed, and returns
 * the periodic check that keeps them in place.
 */
final class RuleSetup {
  private static final Logger LOG = LoggerFactory.getLogger(RuleSetup.class);

  private RuleSetup() {
  }

  /** The rule tools of the mode the config selects (nft, or the detected iptables flavour). */
  static RuleTools tools(FlanneldOptions.Rules flags, NetworkConfig config) throws FatalException {
    try {
      return RuleTools.select(flags, config);
    } catch (RuleSetupException e) {
      throw new FatalException(e.getMessage(), e);
    }
  }

  /** @return the running rule check, or empty when no rule is wanted */
  static Optional<AutoCloseable> install(RuleTools tools, FlanneldOptions.Rules flags, NetworkConfig config,
      Lease lease, Optional<SubnetEnv> previous, Metrics metrics) throws FatalException {
    boolean randomFully = flags.ipMasq() && !flags.randomFullyDisabled() && tools.randomFullySupported();
    RulePlan plan = RulePlan.of(flags, nets(config.network(), lease.subnet()),
        nets(config.ipv6Network(), lease.ipv6Subnet()), randomFully);
    TrafficRules rules = tools.create(plan);
    try {
      tools.removeOtherMode();
      if (previous.isPresent()) {
        SubnetEnv p = previous.get();
        RulePlan old = RulePlan.of(flags, nets(p.network(), p.subnet()),
            nets(p.ipv6Network(), p.ipv6Subnet()), randomFully).withMasquerade(p.ipMasq());
        if (!old.families().equals(plan.families())) {
          logRecycle(old.ipv4(), plan.ipv4());
          logRecycle(old.ipv6(), plan.ipv6());
          LOG.info("removing {} rules of the previous network {} / subnet {}", rules.kind(),
              p.network(), p.subnet());
          rules.removeStale(old);
        }
      }
      if (!plan.masquerade() && !plan.forward()) {
        return Optional.empty();
      }
      logSetUp(plan, tools.nftables());
      rules.apply();
    } catch (RuntimeException e) {
      throw new FatalException("failed to set up " + rules.kind() + " rules: " + e.getMessage(), e);
    }
    LOG.info("{} rules installed (masquerade {}, forward {})", rules.kind(), plan.masquerade(),
        plan.forward());
    return Optional.of(RuleResync.start(rules, flags.resyncPeriod(), metrics));
  }

  /** Upstream's line for a family whose network or subnet changed since the previous subnet.env. */
  private static void logRecycle(Optional<FamilyNets> before, Optional<FamilyNets> now) {
    if (before.isPresent() && now.isPresent() && !before.equals(now)) {
      LOG.info("Current network or subnet ({}, {}) is not equal to previous one ({}, {}), "
          + "trying to recycle old iptables rules", now.get().network(), now.get().subnet(),
          before.get().network(), before.get().subnet());
    }
  }

  /** Upstream's lines for the rule groups about to be installed: masquerade, then forward, IPv4 first. */
  private static void logSetUp(RulePlan plan, boolean nftables) {
    if (plan.masquerade()) {
      plan.ipv4().ifPresent(f -> LOG.info(nftables ? "nftables: setting up masking rules (ipv4)" : "Setting up masking rules"));
      plan.ipv6().ifPresent(f -> LOG.info(nftables ? "nftables: setting up masking rules (ipv6)" : "Setting up masking rules for IPv6"));
    }
    if (plan.forward()) {
      plan.ipv4().ifPresent(f -> LOG.info("Changing default FORWARD chain policy to ACCEPT"));
      plan.ipv6().ifPresent(f -> LOG.info(nftables ? "Changing default FORWARD chain policy to ACCEPT (ipv6)"
          : "IPv6: Changing default FORWARD chain policy to ACCEPT"));
    }
  }

  private static Optional<FamilyNets> nets(IpNet network, IpNet subnet) {
    return network != null && subnet != null
        ? Optional.of(new FamilyNets(network, subnet)) : Optional.empty();
  }
}
