package io.jflannel.daemon.rules;

import java.util.List;

/**
 * The iptables flavour that programs flannel's chains, as the command names it runs. iptables
 * 1.8 installs both flavours side by side ({@code iptables-nft}, {@code iptables-legacy}, each
 * with {@code -save}/{@code -restore} and {@code ip6} forms); plain {@code iptables} is whatever
 * the distribution's alternatives point to.
 */
public enum IptablesFlavour {
  /** The nf_tables flavour: {@code iptables-nft}, {@code iptables-nft-restore}, ... */
  NFT("-nft"),
  /** The x_tables flavour: {@code iptables-legacy}, {@code iptables-legacy-restore}, ... */
  LEGACY("-legacy"),
  /** The unsuffixed commands, for hosts whose iptables predates the two flavours. */
  INSTALLED("");

  private final String suffix;

  IptablesFlavour(String suffix) {
    this.suffix = suffix;
  }

  /** {@code iptables-nft}, {@code ip6tables-legacy}, {@code iptables}, ... */
  public String iptables(IpFamily family) {
    return family.iptables() + suffix;
  }

  /** {@code iptables-nft-save}, ... */
  public String save(IpFamily family) {
    return iptables(family) + "-save";
  }

  /** {@code iptables-nft-restore}, ... */
  public String restore(IpFamily family) {
    return iptables(family) + "-restore";
  }

  /** The three commands the rule engine runs for {@code family}. */
  public List<String> commands(IpFamily family) {
    return List.of(iptables(family), save(family), restore(family));
  }

  /** How logs name the flavour: {@code iptables-nft}, {@code iptables-legacy}, {@code iptables}. */
  public String label() {
    return iptables(IpFamily.IPV4);
  }

  /** The other of the two flavours; INSTALLED has none. */
  public IptablesFlavour other() {
    return switch (this) {
      case NFT -> LEGACY;
      case LEGACY -> NFT;
      case INSTALLED -> INSTALLED;
    };
  }
}
