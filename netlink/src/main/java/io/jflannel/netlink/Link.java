package io.jflannel.netlink;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * A network interface as reported by the kernel (RTM_NEWLINK).
 *
 * @param index           interface index
 * @param name            interface name
 * @param kind            IFLA_INFO_KIND ("vxlan", "veth", "bridge", ...) or null for devices without one
 * @param mtu             MTU
 * @param hardwareAddress 6-byte hardware address, or null when the device has none of that size
 * @param flags           IFF_* flags ({@code ifi_flags})
 * @param up              whether IFF_UP is set (administratively up)
 * @param masterIndex     index of the master device (bridge), 0 = none
 * @param vxlan           the VXLAN attributes when kind is "vxlan"
 */
public record Link(int index, String name, String kind, int mtu, MacAddress hardwareAddress, int flags, boolean up,
                   int masterIndex, Optional<VxlanAttrs> vxlan) {
  /** IFF_UP. */
  public static final int IFF_UP = 0x1;
  /** IFF_LOWER_UP: carrier present. */
  public static final int IFF_LOWER_UP = 0x10000;
  /** Longest interface name the kernel accepts (IFNAMSIZ - 1). */
  public static final int MAX_NAME_BYTES = 15;

  public Link {
    vxlan = vxlan == null ? Optional.empty() : vxlan;
  }

  static void checkName(String name) {
    if (name == null || name.isEmpty()) {
      throw new IllegalArgumentException("interface name is empty");
    }
    int n = name.getBytes(StandardCharsets.UTF_8).length;
    if (n > MAX_NAME_BYTES || name.contains("/") || name.chars().anyMatch(Character::isWhitespace)) {
      throw new IllegalArgumentException("invalid interface name '" + name
          + "': at most 15 bytes, no '/' or whitespace");
    }
  }
}
