package io.jflannel.backend;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;

/**
 * The interface peers reach this node through, as chosen by the daemon ({@code --iface} …).
 *
 * @param name        interface name, e.g. {@code eth0}
 * @param index       interface index
 * @param ifaceAddr   the interface's IPv4 address; null when it has none
 * @param ifaceV6Addr the interface's IPv6 address; null when it has none
 * @param extAddr     the IPv4 address advertised to peers ({@code --public-ip}, else ifaceAddr)
 * @param extV6Addr   the IPv6 address advertised to peers; null when none
 * @param mtu         the interface MTU
 */
public record ExternalInterface(String name, int index, InetAddress ifaceAddr, InetAddress ifaceV6Addr,
                                InetAddress extAddr, InetAddress extV6Addr, int mtu) {

  public ExternalInterface {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("external interface needs a name");
    }
    if (index <= 0) {
      throw new IllegalArgumentException("external interface " + name + ": index " + index + " is not positive");
    }
    if (mtu <= 0) {
      throw new IllegalArgumentException("external interface " + name + ": MTU " + mtu + " is not positive");
    }
    requireFamily(name, "ifaceAddr", ifaceAddr, true);
    requireFamily(name, "extAddr", extAddr, true);
    requireFamily(name, "ifaceV6Addr", ifaceV6Addr, false);
    requireFamily(name, "extV6Addr", extV6Addr, false);
  }

  private static void requireFamily(String iface, String what, InetAddress a, boolean v4) {
    if (a != null && (v4 ? !(a instanceof Inet4Address) : !(a instanceof Inet6Address))) {
      throw new IllegalArgumentException("external interface " + iface + ": " + what + " "
          + a.getHostAddress() + " is not an IPv" + (v4 ? "4" : "6") + " address");
    }
  }

  /** An IPv4-only interface whose advertised address is its own address. */
  public static ExternalInterface ipv4(String name, int index, InetAddress addr, int mtu) {
    return new ExternalInterface(name, index, addr, null, addr, null, mtu);
  }
}
