package io.jflannel.daemon.flags;

import java.util.Locale;

/**
 * {@code --iptables-mode}: which iptables flavour carries flannel's iptables rules. Debian's
 * plain {@code iptables} is the nf_tables flavour; a node whose kube-proxy and firewall use
 * iptables-legacy needs our rules there too, or they sit in a table set nobody else uses.
 */
public enum IptablesMode {
  /** Pick the flavour the host already uses (rules/IptablesDetection). */
  AUTO,
  /** Always {@code iptables-nft} (and its -save/-restore and ip6 forms). */
  NFT,
  /** Always {@code iptables-legacy} (and its -save/-restore and ip6 forms). */
  LEGACY;

  /** The flag's spelling of this mode: {@code auto}, {@code nft}, {@code legacy}. */
  public String flagValue() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * Parses a flag value, case-insensitively.
   *
   * @throws IllegalArgumentException naming the value and the accepted ones
   */
  public static IptablesMode parse(String text) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    for (IptablesMode m : values()) {
      if (m.flagValue().equals(t)) {
        return m;
      }
    }
    throw new IllegalArgumentException("'" + text + "' is not an iptables mode (use auto, nft or legacy)");
  }
}
