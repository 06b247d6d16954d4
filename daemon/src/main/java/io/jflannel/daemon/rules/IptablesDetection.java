package io.jflannel.daemon.rules;

import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Picks the iptables flavour the host already uses, so flannel's rules land in the same table
 * set as kube-proxy's and the firewall's. The order is that of the wrapper upstream's image
 * ships (kubernetes-sigs/iptables-wrappers):
 *
 * <ol>
 *   <li>kubelet (1.17+) creates {@code KUBE-IPTABLES-HINT} or {@code KUBE-KUBELET-CANARY} in the
 *       mangle table of the flavour it uses: looked for in iptables-nft, then iptables-legacy;
 *   <li>otherwise the flavour holding more rules (both families counted);
 *   <li>nft when neither holds more (a host with no rules at all gets nft).
 * </ol>
 *
 * A listing that fails counts as empty: a flavour the kernel cannot serve holds no rules.
 */
public final class IptablesDetection {
  private static final Logger LOG = LoggerFactory.getLogger(IptablesDetection.class);
  private static final Pattern KUBELET_CHAIN =
      Pattern.compile("(?m)^:(KUBE-IPTABLES-HINT|KUBE-KUBELET-CANARY)(?=\\s|$)");

  /**
   * The flavour chosen and why, for the log.
   *
   * @param flavour {@link IptablesFlavour#NFT} or {@link IptablesFlavour#LEGACY}
   * @param reason what in the host's rules decided it
   */
  public record Choice(IptablesFlavour flavour, String reason) {}

  private IptablesDetection() {}

  /** Reads the host's rules through {@code runner} (both flavours must be installed). */
  public static Choice detect(CommandRunner runner) {
    for (IpFamily f : IpFamily.values()) {
      // The nft flavour lists one table without creating it; that is the cheap check.
      Optional<String> chain = kubeletChain(listing(runner, IptablesFlavour.NFT.save(f), "-t", "mangle"));
      if (chain.isPresent()) {
        return new Choice(IptablesFlavour.NFT,
            "kubelet's " + chain.get() + " chain is in " + IptablesFlavour.NFT.iptables(f));
      }
    }
    // iptables-legacy-save -t mangle would make the kernel create the table: list everything.
    String legacy4 = listing(runner, IptablesFlavour.LEGACY.save(IpFamily.IPV4));
    String legacy6 = listing(runner, IptablesFlavour.LEGACY.save(IpFamily.IPV6));
    for (String[] l : new String[][] {{legacy4, "iptables-legacy"}, {legacy6, "ip6tables-legacy"}}) {
      Optional<String> chain = kubeletChain(l[0]);
      if (chain.isPresent()) {
        return new Choice(IptablesFlavour.LEGACY, "kubelet's " + chain.get() + " chain is in " + l[1]);
      }
    }
    int legacy = rules(legacy4) + rules(legacy6);
    int nft = rules(listing(runner, IptablesFlavour.NFT.save(IpFamily.IPV4)))
        + rules(listing(runner, IptablesFlavour.NFT.save(IpFamily.IPV6)));
    if (legacy > nft) {
      return new Choice(IptablesFlavour.LEGACY,
          "no kubelet hint chain; the host has " + legacy + " iptables-legacy rules and " + nft + " iptables-nft rules");
    }
    if (legacy == 0 && nft == 0) {
      return new Choice(IptablesFlavour.NFT, "the host has no iptables rules yet; nft is the default");
    }
    return new Choice(IptablesFlavour.NFT,
        "no kubelet hint chain; the host has " + nft + " iptables-nft rules and " + legacy + " iptables-legacy rules");
  }

  /** The first kubelet hint chain a listing declares. */
  static Optional<String> kubeletChain(String listing) {
    Matcher m = KUBELET_CHAIN.matcher(listing);
    return m.find() ? Optional.of(m.group(1)) : Optional.empty();
  }

  /** How many rules ({@code -A} lines) a listing holds. */
  static int rules(String listing) {
    return (int) listing.lines().filter(l -> l.startsWith("-")).count();
  }

  private static String listing(CommandRunner runner, String... argv) {
    try {
      return runner.run(List.of(argv), "");
    } catch (CommandException e) {
      LOG.debug("iptables flavour detection: {}", e.getMessage());
      return "";
    }
  }
}
