package io.jflannel.daemon.rules;

import io.jflannel.subnet.IpNet;
import java.util.Objects;

/**
 * The cluster network and the own subnet of one address family, as the rules need them.
 * Host bits are cleared, so the {@code FLANNEL_SUBNET} form {@code 10.244.1.1/24} may be
 * passed as read from subnet.env.
 *
 * @param network the cluster network C ({@code FLANNEL_NETWORK})
 * @param subnet the own pod subnet P ({@code FLANNEL_SUBNET})
 */
public record FamilyNets(IpNet network, IpNet subnet) {
  public FamilyNets {
    Objects.requireNonNull(network, "network");
    Objects.requireNonNull(subnet, "subnet");
    if (network.isIpv4() != subnet.isIpv4()) {
      throw new IllegalArgumentException(
          "network " + network + " and subnet " + subnet + " are of different address families");
    }
    network = network.network();
    subnet = subnet.network();
  }

  /** Parses both from text, e.g. {@code of("10.244.0.0/16", "10.244.1.1/24")}. */
  public static FamilyNets of(String network, String subnet) {
    return new FamilyNets(IpNet.parse(network), IpNet.parse(subnet));
  }

  /** The family of both networks. */
  public IpFamily family() {
    return network.isIpv4() ? IpFamily.IPV4 : IpFamily.IPV6;
  }
}
