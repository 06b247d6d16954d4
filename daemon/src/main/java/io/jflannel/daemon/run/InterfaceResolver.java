package io.jflannel.daemon.run;

import io.jflannel.backend.ExternalInterface;
import io.jflannel.daemon.flags.FlanneldOptions;
import io.jflannel.daemon.iface.InterfaceSelectionException;
import io.jflannel.daemon.iface.InterfaceSelector;
import io.jflannel.daemon.iface.NetlinkInventory;
import io.jflannel.netlink.Netlink;
import io.jflannel.subnet.NetworkConfig;
import io.jflannel.subnet.SubnetException;
import io.jflannel.subnet.SubnetManager;
import java.net.InetAddress;
import java.util.Optional;

/**
 * Chooses the external interface and the addresses this node advertises: the {@code --iface*}
 * flags or the default route per enabled family, and {@code --public-ip} / {@code --public-ipv6}
 * or, when absent, the public address the store keeps for this node.
 */
public final class InterfaceResolver {
  private final FlanneldOptions.Iface flags;

  public InterfaceResolver(FlanneldOptions.Iface flags) {
    this.flags = flags;
  }

  public ExternalInterface resolve(Netlink netlink, SubnetManager subnets, NetworkConfig config) throws FatalException {
    Optional<InetAddress> publicIp = flags.publicIp();
    Optional<InetAddress> publicIpv6 = flags.publicIpv6();
    try {
      if (publicIp.isEmpty() && config.enableIpv4()) {
        publicIp = subnets.storedPublicIp(false);
      }
      if (publicIpv6.isEmpty() && config.enableIpv6()) {
        publicIpv6 = subnets.storedPublicIp(true);
      }
    } catch (SubnetException e) {
      throw new FatalException(e.getMessage(), e);
    }
    InterfaceSelector selector = new InterfaceSelector(new NetlinkInventory(netlink));
    InterfaceSelector.Selection v4 = null;
    InterfaceSelector.Selection v6 = null;
    try {
      if (config.enableIpv4()) {
        v4 = selector.select(new InterfaceSelector.Request(false, flags.names(), flags.patterns(), flags.canReach(),
            publicIp));
      }
      if (config.enableIpv6()) {
        v6 = selector.select(new InterfaceSelector.Request(true, flags.names(), flags.patterns(), flags.canReach(),
            publicIpv6));
      }
    } catch (InterfaceSelectionException e) {
      throw new FatalException(e.getMessage(), e);
    }
    InterfaceSelector.Selection main = v4 != null ? v4 : v6;
    if (main.iface().mtu() <= 0) {
      throw new FatalException("interface " + main.iface().name() + " reports MTU " + main.iface().mtu());
    }
    InetAddress ifaceAddr = v4 == null ? null : v4.address();
    InetAddress ifaceV6 = v6 == null ? null : v6.address();
    try {
      return new ExternalInterface(main.iface().name(), main.iface().index(), ifaceAddr, ifaceV6,
          v4 == null ? null : publicIp.orElse(ifaceAddr),
          v6 == null ? null : publicIpv6.orElse(ifaceV6),
          main.iface().mtu());
    } catch (IllegalArgumentException e) {
      throw new FatalException(e.getMessage(), e);
    }
  }
}
