package io.jflannel.subnet;

import java.time.Instant;

/**
 * A node's claim on a pod subnet (IPv4, IPv6 or both) together with what it publishes.
 *
 * @param subnet     the IPv4 subnet, network form ({@code 10.244.1.0/24}); null when IPv4 is disabled
 * @param ipv6Subnet the IPv6 subnet; null when IPv6 is disabled
 * @param attrs      the node's published attributes
 * @param expiration when the lease ends; null when it never does (kube mode, etcd reservations)
 */
public record Lease(IpNet subnet, IpNet ipv6Subnet, LeaseAttrs attrs, Instant expiration) {

  public Lease {
    if (subnet == null && ipv6Subnet == null) {
      throw new IllegalArgumentException("a lease needs an IPv4 or an IPv6 subnet");
    }
    if (attrs == null) {
      throw new IllegalArgumentException("a lease needs attributes");
    }
  }

  /**
   * The key identifying this lease among peers: the etcd key form of its subnets,
   * {@code 10.5.52.0-24}, {@code 10.5.52.0-24&fc00:0:0:1::-64} or {@code fc00:0:0:1::-64}.
   */
  public String key() {
    if (subnet != null && ipv6Subnet != null) {
      return subnet.toKey() + "&" + ipv6Subnet.toKey();
    }
    return subnet != null ? subnet.toKey() : ipv6Subnet.toKey();
  }

  /** True when both leases name the same subnets (attributes may differ). */
  public boolean sameSubnets(Lease other) {
    return java.util.Objects.equals(subnet, other.subnet)
        && java.util.Objects.equals(ipv6Subnet, other.ipv6Subnet);
  }
}
