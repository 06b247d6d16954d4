package io.jflannel.netlink;

import io.jflannel.netlink.socket.LibC;

/** Holds the availability check, computed once (netty's Epoll.isAvailable pattern). */
final class NativeSupport {
  private static final Throwable CAUSE = probe();

  private NativeSupport() {
  }

  private static Throwable probe() {
    try {
      if (!System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux")) {
        return new UnsupportedOperationException("netlink needs Linux, this is " + System.getProperty("os.name"));
      }
      LibC.get();
      return null;
    } catch (Throwable t) {
      return t;
    }
  }

  static boolean isAvailable() {
    return CAUSE == null;
  }

  static Throwable unavailabilityCause() {
    return CAUSE;
  }
}
