package io.jflannel.daemon.rules;

import io.jflannel.daemon.flags.FlanneldOptions;
import io.jflannel.daemon.flags.IptablesMode;
import io.jflannel.subnet.NetworkConfig;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tools that program flannel's rules on this host, chosen once, before the lease is taken,
 * so a host that lacks them fails at once with one line: {@code nft} for
 * {@code EnableNFTables}, else the iptables flavour {@code --iptables-mode} names, or for
 * {@code auto} the one the host already uses ({@link IptablesDetection}). Also removes what
 * the other rules mode left behind (docs/rules.md).
 */
public final class RuleTools {
  private static final Logger LOG = LoggerFactory.getLogger(RuleTools.class);

  private final boolean nftables;
  private final Optional<IptablesFlavour> flavour;
  private final Set<IpFamily> families;
  private final CommandRunner runner;
  private final Predicate<String> installed;

  private RuleTools(boolean nftables, Optional<IptablesFlavour> flavour, Set<IpFamily> families,
      CommandRunner runner, Predicate<String> installed) {
    this.nftables = nftables;
    this.flavour = flavour;
    this.families = families;
    this.runner = runner;
    this.installed = installed;
  }

  /**
   * Chooses the tools for the daemon's own namespace: commands found on {@code PATH}, run
   * directly.
   *
   * @throws RuleSetupException naming the missing command and the flag or setting that needs it
   */
  public static RuleTools select(FlanneldOptions.Rules flags, NetworkConfig config) throws RuleSetupException {
    String path = Executables.path(System.getenv());
    return select(flags, config.enableNftables(), families(config.enableIpv4(), config.enableIpv6()),
        CommandRunner.direct(), Executables.onPath(path), path);
  }

  /**
   * Chooses the tools with explicit seams: {@code runner} runs the commands (detection
   * included), {@code installed} tells whether a command exists, {@code path} is quoted in
   * messages.
   */
  static RuleTools select(FlanneldOptions.Rules flags, boolean nftables, Set<IpFamily> families,
      CommandRunner runner, Predicate<String> installed, String path) throws RuleSetupException {
    Objects.requireNonNull(runner, "runner");
    Objects.requireNonNull(installed, "installed");
    Set<IpFamily> fams = families.isEmpty() ? EnumSet.noneOf(IpFamily.class) : EnumSet.copyOf(families);
    // Upstream's first line of its traffic manager, printed whether or not rules are wanted.
    LOG.info(nftables ? "Starting flannel in nftables mode..." : "Starting flannel in iptables mode...");
    if (nftables) {
      if (flags.anyRules() && !installed.test("nft")) {
        throw new RuleSetupException(needs(flags) + " with EnableNFTables needs the nft command, "
            + "which is not installed (not found on PATH " + path + ")");
      }
      LOG.info("traffic rules in nftables (EnableNFTables)");
      return new RuleTools(true, Optional.empty(), fams, runner, installed);
    }
    if (!flags.anyRules()) {
      return new RuleTools(false, Optional.empty(), fams, runner, installed);
    }
    IptablesMode mode = flags.iptablesMode();
    if (mode != IptablesMode.AUTO) {
      IptablesFlavour forced = mode == IptablesMode.NFT ? IptablesFlavour.NFT : IptablesFlavour.LEGACY;
      List<String> missing = missing(forced, fams, installed);
      if (!missing.isEmpty()) {
        throw new RuleSetupException("--iptables-mode=" + mode.flagValue() + " needs "
            + String.join(", ", missing) + ", not found on PATH " + path);
      }
      LOG.info("iptables mode: {} (--iptables-mode={})", forced.label(), mode.flagValue());
      return new RuleTools(false, Optional.of(forced), fams, runner, installed);
    }
    boolean nft = missing(IptablesFlavour.NFT, fams, installed).isEmpty();
    boolean legacy = missing(IptablesFlavour.LEGACY, fams, installed).isEmpty();
    IptablesFlavour chosen;
    String reason;
    if (nft && legacy) {
      IptablesDetection.Choice c = IptablesDetection.detect(runner);
      chosen = c.flavour();
      reason = c.reason();
    } else if (nft || legacy) {
      chosen = nft ? IptablesFlavour.NFT : IptablesFlavour.LEGACY;
      reason = "only " + chosen.label() + " is installed";
    } else {
      List<String> missing = missing(IptablesFlavour.INSTALLED, fams, installed);
      if (!missing.isEmpty()) {
        throw new RuleSetupException(needs(flags) + " needs " + String.join(", ", missing)
            + " (or their -nft/-legacy forms), not found on PATH " + path
            + "; install iptables or set EnableNFTables in the network config");
      }
      chosen = IptablesFlavour.INSTALLED;
      reason = "neither iptables-nft nor iptables-legacy is installed, using iptables as installed";
    }
    LOG.info("iptables mode: {} (auto: {})", chosen.label(), reason);
    return new RuleTools(false, Optional.of(chosen), fams, runner, installed);
  }

  /** The families a network config enables, IPv4 first. */
  static Set<IpFamily> families(boolean ipv4, boolean ipv6) {
    Set<IpFamily> out = EnumSet.noneOf(IpFamily.class);
    if (ipv4) {
      out.add(IpFamily.IPV4);
    }
    if (ipv6) {
      out.add(IpFamily.IPV6);
    }
    return out;
  }

  private static String needs(FlanneldOptions.Rules flags) {
    return flags.ipMasq() ? "--ip-masq" : "--iptables-forward-rules (on by default)";
  }

  private static List<String> missing(IptablesFlavour f, Set<IpFamily> families, Predicate<String> installed) {
    List<String> out = new ArrayList<>();
    for (IpFamily family : families) {
      for (String command : f.commands(family)) {
        if (!installed.test(command)) {
          out.add(command);
        }
      }
    }
    return out;
  }

  /** True when the rules go into nftables ({@code EnableNFTables}). */
  public boolean nftables() {
    return nftables;
  }

  /** The iptables flavour that programs the rules; empty in nftables mode or when no rule is wanted. */
  public Optional<IptablesFlavour> flavour() {
    return flavour;
  }

  /**
   * Whether masquerade may be fully random: iptables 1.6.2+ of the chosen flavour and a kernel
   * of 3.13+; for nftables only the kernel counts. An iptables that cannot say its version
   * gets plain masquerade and a warning.
   */
  public boolean randomFullySupported() {
    String kernel = RandomFully.kernelRelease();
    if (nftables || flavour.isEmpty()) {
      return RandomFully.atLeast(kernel, 3, 13, 0);
    }
    IpFamily family = families.isEmpty() ? IpFamily.IPV4 : families.iterator().next();
    try {
      return RandomFully.supported(runner, flavour.get().iptables(family), kernel);
    } catch (CommandException e) {
      LOG.warn("masquerading without --random-fully: {}", e.getMessage());
      return false;
    }
  }

  /** The rule engine for {@code plan} on these tools. */
  public TrafficRules create(RulePlan plan) {
    if (nftables) {
      return new NftTrafficRules(plan, runner);
    }
    return new IptablesTrafficRules(plan, flavour.orElse(IptablesFlavour.INSTALLED), runner);
  }

  /**
   * Removes flannel's rules of the mode not in use, so switching {@code EnableNFTables} (or
   * the iptables flavour) leaves no second masquerade behind: in nftables mode the
   * {@code FLANNEL-*} chains of both iptables flavours, in iptables mode the
   * {@code flannel-ipv4}/{@code flannel-ipv6} nft tables and the chains of the other flavour.
   * Tools that are not installed hold nothing to remove; a failed removal is logged and the
   * daemon goes on.
   *
   * @return what was removed, e.g. {@code iptables-legacy nat/FLANNEL-POSTRTG} or
   *     {@code nft table ip flannel-ipv4}
   */
  public List<String> removeOtherMode() {
    LOG.info("Cleaning-up unused traffic manager rules");
    List<String> removed = new ArrayList<>();
    List<IptablesFlavour> iptablesFlavours = new ArrayList<>();
    if (nftables) {
      iptablesFlavours.add(IptablesFlavour.NFT);
      iptablesFlavours.add(IptablesFlavour.LEGACY);
      if (!anyInstalled(IptablesFlavour.NFT) && !anyInstalled(IptablesFlavour.LEGACY)) {
        iptablesFlavours.add(IptablesFlavour.INSTALLED);
      }
    } else {
      if (installed.test("nft")) {
        try {
          NftTrafficRules.removeAll(runner).forEach(t -> removed.add("nft table " + t));
        } catch (RuntimeException e) {
          LOG.warn("could not remove flannel's nft tables: {}", e.getMessage());
        }
      }
      flavour.filter(f -> f != IptablesFlavour.INSTALLED).map(IptablesFlavour::other)
          .ifPresent(iptablesFlavours::add);
    }
    for (IptablesFlavour f : iptablesFlavours) {
      for (IpFamily family : IpFamily.values()) {
        if (!installed.test(f.save(family)) || !installed.test(f.restore(family))) {
          continue;
        }
        try {
          IptablesTrafficRules.removeAll(f, family, runner)
              .forEach(c -> removed.add(f.iptables(family) + " " + c));
        } catch (RuntimeException e) {
          LOG.warn("could not remove flannel's {} chains: {}", f.iptables(family), e.getMessage());
        }
      }
    }
    if (!removed.isEmpty()) {
      LOG.info("removed rules of the unused mode (now {}): {}", describe(), String.join(", ", removed));
    }
    return removed;
  }

  private boolean anyInstalled(IptablesFlavour f) {
    return installed.test(f.save(IpFamily.IPV4)) || installed.test(f.save(IpFamily.IPV6));
  }

  /** {@code nftables}, {@code iptables-nft}, {@code iptables-legacy} or {@code iptables}. */
  public String describe() {
    return nftables ? "nftables" : flavour.orElse(IptablesFlavour.INSTALLED).label();
  }
}
