package io.jflannel.netlink;

import java.net.Inet4Address;
import java.net.InetAddress;

/**
 * An interface address ({@code ip addr}).
 *
 * @param linkIndex    interface index
 * @param address      the address (IFA_LOCAL)
 * @param prefixLength prefix length
 */
public record Addr(int linkIndex, InetAddress address, int prefixLength) {
  public Addr {
    if (address == null) {
      throw new IllegalArgumentException("address is null");
    }
    int max = address instanceof Inet4Address ? 32 : 128;
    if (prefixLength < 0 || prefixLength > max) {
      throw new IllegalArgumentException("prefix length " + prefixLength + " out of range 0.." + max
          + " for " + address.getHostAddress());
    }
  }

  /** AF_INET (2) or AF_INET6 (10). */
  public int family() {
    return Families.of(address);
  }

  @Override
  public String toString() {
    return address.getHostAddress() + "/" + prefixLength + " dev #" + linkIndex;
  }
}
