package io.jflannel.subnet.etcd;

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
   * Parses a key segment.
   *
   * @throws IllegalArgumentException naming the key when it is not one of the three forms or a
   *     subnet has host bits set
   */
  public static EtcdLeaseKey parse(String segment) {
    String[] parts = segment.split("&", -1);
    if (parts.length > 2) {
      throw new IllegalArgumentException("lease key \"" + segment + "\" has more than two subnets");
    }
    IpNet v4 = null;
    IpNet v6 = null;
    for (String p : parts) {
      IpNet n = IpNet.parseKey(p);
      if (!n.isNetworkAddress()) {
        throw new IllegalArgumentException("lease key \"" + segment + "\": " + n + " has host bits set");
      }
      if (n.isIpv4()) {
        if (v4 != null) {
          throw new IllegalArgumentException("lease key \"" + segment + "\" has two IPv4 subnets");
        }
        v4 = n;
      } else {
        if (v6 != null) {
          throw new IllegalArgumentException("lease key \"" + segment + "\" has two IPv6 subnets");
        }
        v6 = n;
      }
    }
    if (parts.length == 2 && (v4 == null || v6 == null || !parts[0].equals(v4.toKey()))) {
      throw new IllegalArgumentException("lease key \"" + segment + "\": expected IPV4-LEN&IPV6-LEN");
    }
    return new EtcdLeaseKey(v4, v6);
  }

  /** The key segment, as upstream writes it. */
  @Override
  public String toString() {
    return Lease.key(subnet, ipv6Subnet);
  }
}
