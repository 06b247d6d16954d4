package io.jflannel.daemon.cleanup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Whether this process may change the node's network: CAP_NET_ADMIN in its effective set, which
 * root has and kube-flannel's container is given. Read from {@code /proc/self/status} so the
 * answer comes before any netlink or iptables call, and the error is one line instead of the
 * first EPERM of many.
 */
final class NetAdminCapability {
  private static final int CAP_NET_ADMIN = 12;

  private NetAdminCapability() {}

  /** True when CAP_NET_ADMIN is effective; false also when the status cannot be read. */
  static boolean effective() {
    try {
      return effective(Files.readString(Path.of("/proc/self/status")));
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /** Reads the {@code CapEff:} line of a {@code /proc/<pid>/status} text (pure). */
  static boolean effective(String status) {
    for (String line : status.split("\n")) {
      if (line.startsWith("CapEff:")) {
        long caps = Long.parseUnsignedLong(line.substring("CapEff:".length()).strip(), 16);
        return (caps & (1L << CAP_NET_ADMIN)) != 0;
      }
    }
    return false;
  }
}
