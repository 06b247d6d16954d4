package io.jflannel.netlink;

import java.net.Inet4Address;
import java.net.InetAddress;

/** Address family numbers used by rtnetlink. */
public final class Families {
  /** Any family (dump filters). */
  public static final int AF_UNSPEC = 0;
  public static final int AF_INET = 2;
  /** Bridge family: FDB entries. */
  public static final int AF_BRIDGE = 7;
  public static final int AF_INET6 = 10;

  private Families() {
  }

  /** AF_INET or AF_INET6 for this address. */
  public static int of(InetAddress a) {
    return a instanceof Inet4Address ? AF_INET : AF_INET6;
  }

  /** Address length in bytes for AF_INET / AF_INET6. */
  public static int addressLength(int family) {
    return switch (family) {
      case AF_INET -> 4;
      case AF_INET6 -> 16;
      default -> throw new IllegalArgumentException("not an IP address family: " + family);
    };
  }
}
