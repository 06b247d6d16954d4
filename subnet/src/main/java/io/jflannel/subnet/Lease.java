package io.jflannel.subnet;

import java.time.Instant;
import java.util.Objects;

/**
 * A node's claim on a pod subnet (IPv4, IPv6 or both) together with what it publishes.
 *
 * <p>A value class with record-style accessors, equality over its four parts and one extra:
 * its {@link #key()} is built once, so every map that keys peers by it (the lease views,
 * the peer book, the reconciler) shares one String per peer instead of each building its own
 * (docs/decisions/0833).
 */
public final class Lease {
  private final IpNet subnet;
  private final IpNet ipv6Subnet;
  private final LeaseAttrs attrs;
  private final Instant expiration;
  private final String key;

  /**
   * @param subnet     the IPv4 subnet, network form ({@code 10.244.1.0/24}); null when IPv4 is disabled
   * @param ipv6Subnet the IPv6 subnet; null when IPv6 is disabled
   * @param attrs      the node's published attributes
   * @param expiration when the lease ends; null when it never does (kube mode, etcd reservations)
   */
  public Lease(IpNet subnet, IpNet ipv6Subnet, LeaseAttrs attrs, Instant expiration) {
    if (subnet == null && ipv6Subnet == null) {
      throw new IllegalArgumentException("a lease needs an IPv4 or an IPv6 subnet");
    }
    if (attrs == null) {
      throw new IllegalArgumentException("a lease needs attributes");
    }
    this.subnet = subnet;
    this.ipv6Subnet = ipv6Subnet;
    this.attrs = attrs;
    this.expiration = expiration;
    this.key = key(subnet, ipv6Subnet);
  }

  private Lease(Lease from, String key) {
    this.subnet = from.subnet;
    this.ipv6Subnet = from.ipv6Subnet;
    this.attrs = from.attrs;
    this.expiration = from.expiration;
    this.key = key;
  }

  /**
   * This lease with {@code earlier}'s key String when both name the same subnets, so a peer
   * updated many times keeps one key instance in every map that holds it; otherwise this lease.
   */
  Lease sharingKeyOf(Lease earlier) {
    if (earlier == null || earlier.key == key || !earlier.key.equals(key)) {
      return this;
    }
    return new Lease(this, earlier.key);
  }

  /**
   * The etcd key form of a lease's subnets, {@code 10.5.52.0-24},
   * {@code 10.5.52.0-24&fc00:0:0:1::-64} or {@code fc00:0:0:1::-64}; at least one is non-null.
   */
  public static String key(IpNet subnet, IpNet ipv6Subnet) {
    if (subnet != null && ipv6Subnet != null) {
      return subnet.toKey() + "&" + ipv6Subnet.toKey();
    }
    return subnet != null ? subnet.toKey() : ipv6Subnet.toKey();
  }

  /** The IPv4 subnet, or null when IPv4 is disabled. */
  public IpNet subnet() {
    return subnet;
  }

  /** The IPv6 subnet, or null when IPv6 is disabled. */
  public IpNet ipv6Subnet() {
    return ipv6Subnet;
  }

  /** The node's published attributes. */
  public LeaseAttrs attrs() {
    return attrs;
  }

  /** When the lease ends, or null when it never does. */
  public Instant expiration() {
    return expiration;
  }

  /**
   * The key identifying this lease among peers, {@link #key(IpNet, IpNet)} of its subnets;
   * the same String instance on every call.
   */
  public String key() {
    return key;
  }

  /** True when both leases name the same subnets (attributes may differ). */
  public boolean sameSubnets(Lease other) {
    return Objects.equals(subnet, other.subnet) && Objects.equals(ipv6Subnet, other.ipv6Subnet);
  }

  @Override
  public boolean equals(Object o) {
    return o == this || o instanceof Lease l
        && Objects.equals(subnet, l.subnet)
        && Objects.equals(ipv6Subnet, l.ipv6Subnet)
        && attrs.equals(l.attrs)
        && Objects.equals(expiration, l.expiration);
  }

  @Override
  public int hashCode() {
    return Objects.hash(subnet, ipv6Subnet, attrs, expiration);
  }

  @Override
  public String toString() {
    return "Lease[subnet=" + subnet + ", ipv6Subnet=" + ipv6Subnet + ", attrs=" + attrs
        + ", expiration=" + expiration + "]";
  }
}
