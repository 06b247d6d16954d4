package io.jflannel.daemon.rules;

import io.jflannel.daemon.flags.FlanneldOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What traffic rules flanneld wants: the networks per family and which rule groups are on.
 * Rendered by {@link IptablesRuleSets} and {@link NftRuleSets}.
 *
 * @param ipv4 IPv4 cluster network and own subnet, empty when IPv4 is disabled
 * @param ipv6 IPv6 cluster network and own subnet, empty when IPv6 is disabled
 * @param masquerade {@code --ip-masq}
 * @param forward {@code --iptables-forward-rules}
 * @param randomFully masquerade with {@code --random-fully} (not disabled and supported)
 */
public record RulePlan(
    Optional<FamilyNets> ipv4,
    Optional<FamilyNets> ipv6,
    boolean masquerade,
    boolean forward,
    boolean randomFully) {

  public RulePlan {
    Objects.requireNonNull(ipv4, "ipv4");
    Objects.requireNonNull(ipv6, "ipv6");
    ipv4.ifPresent(n -> require(n, IpFamily.IPV4));
    ipv6.ifPresent(n -> require(n, IpFamily.IPV6));
  }

  private static void require(FamilyNets nets, IpFamily family) {
    if (nets.family() != family) {
      throw new IllegalArgumentException(nets.network() + " given as " + family + " network");
    }
  }

  /** The present families with their networks, IPv4 first. */
  public List<FamilyNets> families() {
    List<FamilyNets> out = new ArrayList<>(2);
    ipv4.ifPresent(out::add);
    ipv6.ifPresent(out::add);
    return out;
  }

  /**
   * The plan the flags ask for: masquerade per {@code --ip-masq}, forward rules per
   * {@code --iptables-forward-rules}, {@code --random-fully} unless disabled or unsupported.
   * For the previous plan, pass the previous subnet.env's networks (and its
   * {@code FLANNEL_IPMASQ} as {@code ipMasq}).
   */
  public static RulePlan of(
      FlanneldOptions.Rules flags, Optional<FamilyNets> ipv4, Optional<FamilyNets> ipv6,
      boolean randomFullySupported) {
    return new RulePlan(ipv4, ipv6, flags.ipMasq(), flags.forwardRules(),
        randomFullySupported && !flags.randomFullyDisabled());
  }

  /** The same networks with a different masquerade setting (for the previous subnet.env). */
  public RulePlan withMasquerade(boolean on) {
    return new RulePlan(ipv4, ipv6, on, forward, randomFully);
  }

  /** A plan that wants nothing (for removing everything a previous plan installed). */
  public static RulePlan none() {
    return new RulePlan(Optional.empty(), Optional.empty(), false, false, false);
  }
}
