package io.jflannel.subnet;

/**
 * The content of subnet.env, the file the flannel CNI plugin reads.
 *
 * <p>Subnets are held in network form ({@code 10.244.1.0/24}); the file carries the first
 * host address with the subnet's prefix ({@code FLANNEL_SUBNET=10.244.1.1/24}).
 *
 * @param network     {@code FLANNEL_NETWORK}; null when IPv4 is disabled
 * @param subnet      this node's IPv4 subnet, network form; null when IPv4 is disabled
 * @param ipv6Network {@code FLANNEL_IPV6_NETWORK}; null when IPv6 is disabled
 * @param ipv6Subnet  this node's IPv6 subnet, network form; null when IPv6 is disabled
 * @param mtu         {@code FLANNEL_MTU}; 0 when unknown (read from an incomplete file)
 * @param ipMasq      {@code FLANNEL_IPMASQ}
 */
public record SubnetEnv(IpNet network, IpNet subnet, IpNet ipv6Network, IpNet ipv6Subnet, int mtu, boolean ipMasq) {

  public SubnetEnv {
    if (subnet != null) {
      subnet = subnet.network();
    }
    if (ipv6Subnet != null) {
      ipv6Subnet = ipv6Subnet.network();
    }
    if (mtu < 0) {
      throw new IllegalArgumentException("FLANNEL_MTU must not be negative, got " + mtu);
    }
  }

  /** True when the IPv6 pair is present. */
  public boolean hasIpv6() {
    return ipv6Network != null || ipv6Subnet != null;
  }
}
