package io.jflannel.daemon.iface;

import java.net.InetAddress;
import java.util.List;
import java.util.Optional;

/**
 * What interface selection needs to know about the node's network: its interfaces with
 * their addresses, the default route and a route lookup. Implemented on netlink in
 * production and by plain values in unit tests.
 */
public interface InterfaceInventory {

  /** Every interface with its addresses. */
  List<Iface> interfaces() throws Exception;

  /** Index of the interface the default route of {@code ipv6 ? IPv6 : IPv4} leaves by. */
  Optional<Integer> defaultRouteInterface(boolean ipv6) throws Exception;

  /** The route the kernel would use to reach {@code dst} ({@code ip route get dst}). */
  Optional<RouteHit> routeTo(InetAddress dst) throws Exception;

  /** An interface and its addresses. */
  record Iface(int index, String name, int mtu, List<Address> addresses) {
    public Iface {
      addresses = List.copyOf(addresses);
    }
  }

  /**
   * An interface address.
   *
   * @param global    scope global (not link or host)
   * @param permanent not dynamic (no finite valid lifetime, as DHCP/SLAAC addresses have)
   */
  record Address(InetAddress ip, int prefixLength, boolean global, boolean permanent) {}

  /** Result of a route lookup: the output interface and the preferred source address. */
  record RouteHit(int interfaceIndex, InetAddress preferredSource) {}
}
