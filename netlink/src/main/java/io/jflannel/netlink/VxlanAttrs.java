package io.jflannel.netlink;

import java.net.InetAddress;

/**
 * The VXLAN attributes of a link (IFLA_INFO_DATA of kind "vxlan").
 *
 * @param vni         VXLAN network identifier (0..16777215)
 * @param parentIndex index of the underlay link ({@code dev}), 0 = none
 * @param local       local tunnel address (IPv4 or IPv6), or null
 * @param port        UDP destination port, 0 = kernel default (8472 when created without a port)
 * @param learning    whether the device learns remote MACs from received traffic
 * @param gbp         Group Based Policy extension
 * @param ttl         outer TTL, 0 = inherit
 */
public record VxlanAttrs(int vni, int parentIndex, InetAddress local, int port, boolean learning, boolean gbp, int ttl) {
  public VxlanAttrs {
    if (vni < 0 || vni > 0xFF_FFFF) {
      throw new IllegalArgumentException("VXLAN VNI " + vni + " out of range 0..16777215");
    }
    if (port < 0 || port > 0xFFFF) {
      throw new IllegalArgumentException("VXLAN port " + port + " out of range 0..65535");
    }
    if (ttl < 0 || ttl > 255) {
      throw new IllegalArgumentException("VXLAN ttl " + ttl + " out of range 0..255");
    }
    if (parentIndex < 0) {
      throw new IllegalArgumentException("VXLAN parent link index " + parentIndex + " is negative");
    }
  }
}
