package io.jflannel.netlink;

import java.nio.file.Path;

/**
 * A named network namespace as created by {@code ip netns add NAME}: a bind mount under
 * {@code /var/run/netns/NAME}.
 *
 * @param name the namespace name (no slashes)
 */
public record NetNs(String name) {
  /** Directory where iproute2 keeps named namespaces. */
  public static final Path NETNS_RUN_DIR = Path.of("/var/run/netns");

  public NetNs {
    if (name == null || name.isEmpty() || name.contains("/") || name.equals(".") || name.equals("..")) {
      throw new IllegalArgumentException("invalid network namespace name '" + name + "': must be a non-empty file name");
    }
  }

  /** The file that pins this namespace. */
  public Path path() {
    return NETNS_RUN_DIR.resolve(name);
  }
}
