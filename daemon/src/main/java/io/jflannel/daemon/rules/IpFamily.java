package io.jflannel.daemon.rules;

/** The two address families, with the tool names and constants each one uses. */
public enum IpFamily {
  /** IPv4: iptables, nft family {@code ip}. */
  IPV4("iptables", "224.0.0.0/4", "ip", "flannel-ipv4"),
  /** IPv6: ip6tables, nft family {@code ip6}. */
  IPV6("ip6tables", "ff00::/8", "ip6", "flannel-ipv6");

  private final String iptables;
  private final String multicast;
  private final String nftFamily;
  private final String nftTable;

  IpFamily(String iptables, String multicast, String nftFamily, String nftTable) {
    this.iptables = iptables;
    this.multicast = multicast;
    this.nftFamily = nftFamily;
    this.nftTable = nftTable;
  }

  /** {@code iptables} or {@code ip6tables}; {@link IptablesFlavour} names the flavoured forms. */
  public String iptables() {
    return iptables;
  }

  /** The multicast range that is never masqueraded. */
  public String multicast() {
    return multicast;
  }

  /** The nft address family keyword ({@code ip} / {@code ip6}), also the match prefix. */
  public String nftFamily() {
    return nftFamily;
  }

  /** Name of flannel's nft table for this family. */
  public String nftTable() {
    return nftTable;
  }
}
