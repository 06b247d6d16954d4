package io.jflannel.netlink;

/**
 * What to create with {@link Netlink#createVxlan(VxlanSpec)}.
 *
 * @param name  device name, e.g. {@code flannel.1} (1..15 bytes)
 * @param attrs VXLAN attributes
 * @param mac   hardware address to set at creation, or null for a kernel-chosen one
 * @param mtu   MTU to set at creation, 0 = kernel default
 */
public record VxlanSpec(String name, VxlanAttrs attrs, MacAddress mac, int mtu) {
  public VxlanSpec {
    Link.checkName(name);
    if (attrs == null) {
      throw new IllegalArgumentException("VXLAN spec for '" + name + "' has no attributes");
    }
    if (mtu < 0) {
      throw new IllegalArgumentException("VXLAN spec for '" + name + "': MTU " + mtu + " is negative");
    }
  }
}
