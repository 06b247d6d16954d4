package io.jflannel.subnet.etcd;

import io.jflannel.subnet.IpLiteral;
import io.jflannel.subnet.IpNet;
import io.jflannel.subnet.Lease;

/**
 * The last segment of a lease key, {@code 10.5.52.0-24}, {@code fc00:0:0:1::-64} or
 * {@code 10.5.52.0-24&fc00:0:0:1::-64} for dual stack.
 *
 * @param subnet     IPv4 subnet (network form) or null
 * @param ipv6Subnet IPv6 subnet (network form) or null
 */
public record EtcdLeaseKey(IpNet subnet, IpNet ipv6Subnet) {

  public EtcdLeaseKey {
    if (subnet == null && ipv6Subnet == null) {
      throw new IllegalArgumentException("a lease key needs an IPv4 or an IPv6 subnet");
    }
  }

  /**
   * Parses a key segment, accepting only the exact text upstream writes for the subnets it
   * names (docs/decisions/0900): the canonical addresses, the prefix lengths in decimal, the
   * IPv4 part first, host bits zero, nothing else. Anything that does not round-trip byte for
   * byte ({@code 10.244.2.0-24 }, {@code 012.244.2.0-24}, {@code 10.244.2.0-024},
   * {@code FC00::-64}) would be a second key for a subnet that has one already, or a key
   * naming another subnet than the one a reader next to us sees: a way to impersonate a
   * peer, or to delete it by deleting the alias.
   *
   * @throws IllegalArgumentException quoting the key and saying what is wrong with it
   */
  public static EtcdLeaseKey parse(String segment) {
    String q = IpLiteral.quote(segment);
    String[] parts = segment.split("&", -1);
    if (parts.length > 2) {
      throw new IllegalArgumentException("lease key " + q + " has more than two subnets");
    }
    IpNet v4 = null;
    IpNet v6 = null;
    for (String p : parts) {
      IpNet n = part(q, p);
      if (!n.isNetworkAddress()) {
        throw new IllegalArgumentException("lease key " + q + ": " + n + " has host bits set");
      }
      if (n.isIpv4()) {
        if (v4 != null) {
          throw new IllegalArgumentException("lease key " + q + " has two IPv4 subnets");
        }
        v4 = n;
      } else {
        if (v6 != null) {
          throw new IllegalArgumentException("lease key " + q + " has two IPv6 subnets");
        }
        v6 = n;
      }
    }
    EtcdLeaseKey k = new EtcdLeaseKey(v4, v6);
    if (!k.toString().equals(segment)) {
      throw new IllegalArgumentException("lease key " + q + " is not in canonical form (that would be \""
          + k + "\")");
    }
    return k;
  }

  /** One {@code ADDRESS-PREFIXLEN} part; its exact text is checked by the caller. */
  private static IpNet part(String quotedKey, String p) {
    int dash = p.lastIndexOf('-');
    if (dash <= 0 || dash == p.length() - 1) {
      throw new IllegalArgumentException("lease key " + quotedKey + ": expected ADDRESS-PREFIXLEN");
    }
    String prefix = p.substring(dash + 1);
    try {
      int len = Integer.parseInt(prefix);
      if (!Integer.toString(len).equals(prefix)) {
        throw new IllegalArgumentException("prefix length " + IpLiteral.quote(prefix) + " is not in canonical form");
      }
      return IpNet.of(IpLiteral.parse(p.substring(0, dash)), len);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("lease key " + quotedKey + ": prefix length " + IpLiteral.quote(prefix)
          + " is not a number", e);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("lease key " + quotedKey + ": " + e.getMessage(), e);
    }
  }

  /** The key segment, as upstream writes it. */
  @Override
  public String toString() {
    return Lease.key(subnet, ipv6Subnet);
  }
}
