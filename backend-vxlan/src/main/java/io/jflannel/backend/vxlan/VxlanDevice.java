package io.jflannel.backend.vxlan;

import io.jflannel.backend.BackendListener.ObjectKind;
import io.jflannel.netlink.Addr;
import io.jflannel.netlink.Families;
import io.jflannel.netlink.Link;
import io.jflannel.netlink.MacAddress;
import io.jflannel.netlink.Netlink;
import io.jflannel.netlink.NetlinkException;
import io.jflannel.netlink.VxlanAttrs;
import io.jflannel.netlink.VxlanSpec;
import io.jflannel.subnet.IpNet;
import io.jflannel.backend.DeviceFact;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code flannel.<VNI>} device as it must be: created, or reused when compatible (VNI,
 * parent, local address, port, GBP), else deleted and recreated; with our MAC and MTU, set
 * up, and (once the lease is known) holding {@code <subnet network address>/32} and no other
 * address inside Network. The parent is the external interface's index of the moment: when the
 * interface is created again, the device is made again on the new one.
 */
final class VxlanDevice {
  private static final Logger LOG = LoggerFactory.getLogger(VxlanDevice.class);
  /** What the kernel reports as the port of a device created without one. */
  static final int KERNEL_DEFAULT_PORT = 8472;

  private final Netlink nl;
  private final VxlanSpec spec;

  VxlanDevice(Netlink nl, VxlanSpec spec) {
    this.nl = nl;
    this.spec = spec;
  }

  String name() {
    return spec.name();
  }

  MacAddress mac() {
    return spec.mac();
  }

  int mtu() {
    return spec.mtu();
  }

  /** Whether an existing VXLAN link can be kept for this spec. */
  static boolean compatible(Link l, VxlanAttrs want) {
    if (!"vxlan".equals(l.kind()) || l.vxlan().isEmpty()) {
      return false;
    }
    VxlanAttrs have = l.vxlan().get();
    int wantPort = want.port() == 0 ? KERNEL_DEFAULT_PORT : want.port();
    int havePort = have.port() == 0 ? KERNEL_DEFAULT_PORT : have.port();
    return have.vni() == want.vni()
        && have.parentIndex() == want.parentIndex()
        && java.util.Objects.equals(have.local(), want.local())
        && havePort == wantPort
        && have.gbp() == want.gbp();
  }

  /** Why an existing link is not reusable, for the log. */
  static String incompatibility(Link l, VxlanAttrs want) {
    if (!"vxlan".equals(l.kind()) || l.vxlan().isEmpty()) {
      return "it is of kind " + l.kind();
    }
    return "it has " + l.vxlan().get() + ", we need " + want;
  }

  /**
   * The existing compatible device, without changing anything (used to keep its MAC when no
   * earlier one is published).
   */
  static Optional<Link> findCompatible(Netlink nl, String name, VxlanAttrs want) throws NetlinkException {
    return nl.link(name).filter(l -> compatible(l, want));
  }

  /** The spec with the external interface at {@code parentIndex}. */
  VxlanSpec specOn(int parentIndex) {
    VxlanAttrs a = spec.attrs();
    if (a.parentIndex() == parentIndex) {
      return spec;
    }
    return new VxlanSpec(spec.name(), new VxlanAttrs(a.vni(), parentIndex, a.local(), a.port(), a.learning(), a.gbp(),
        a.ttl()), spec.mac(), spec.mtu());
  }

  /**
   * Makes the device exist as specified (MAC, MTU, up) on the external interface at
   * {@code parentIndex} and, when {@code address} is given, hold exactly that address inside
   * {@code network}.
   *
   * @return the link and the kinds of objects that had to be fixed
   */
  Result ensure(int parentIndex, IpNet address, IpNet network) throws NetlinkException {
    VxlanSpec want = specOn(parentIndex);
    Set<ObjectKind> fixed = EnumSet.noneOf(ObjectKind.class);
    Optional<Link> existing = nl.link(want.name());
    Link link;
    if (existing.isPresent() && compatible(existing.get(), want.attrs())) {
      link = existing.get();
    } else {
      if (existing.isPresent()) {
        LOG.info("deleting incompatible device {}: {}", want.name(), incompatibility(existing.get(), want.attrs()));
        nl.deleteLink(existing.get().index());
      }
      link = nl.createVxlan(want);
      fixed.add(ObjectKind.DEVICE);
    }
    if (!spec.mac().equals(link.hardwareAddress())) {
      nl.setHardwareAddress(link.index(), spec.mac());
      fixed.add(ObjectKind.DEVICE);
    }
    if (link.mtu() != spec.mtu()) {
      nl.setMtu(link.index(), spec.mtu());
      fixed.add(ObjectKind.DEVICE);
    }
    if (address != null) {
      boolean present = false;
      for (Addr a : nl.addrs(link.index(), Families.AF_INET)) {
        if (a.address().equals(address.address()) && a.prefixLength() == address.prefixLength()) {
          present = true;
        } else if (network.contains(a.address())) {
          // An address of an earlier lease: it would make the kernel route the old subnet here.
          LOG.info("removing stale address {}/{} from {}", a.address().getHostAddress(), a.prefixLength(), spec.name());
          nl.addrDelete(a);
          fixed.add(ObjectKind.ADDRESS);
        }
      }
      if (!present) {
        nl.addrReplace(new Addr(link.index(), address.address(), address.prefixLength()));
        fixed.add(ObjectKind.ADDRESS);
      }
    }
    if (!link.up()) {
      nl.setUp(link.index());
      fixed.add(ObjectKind.DEVICE);
    }
    return new Result(link, fixed);
  }

  /**
   * What {@link #ensure} would find on {@code link} (empty when there is no such device), as
   * facts for {@code flanneld check}; reads only. Every property {@code ensure} compares or sets
   * is one fact, and learning besides, which {@code ensure} leaves as it is (as upstream does).
   */
  List<DeviceFact> inspect(Optional<Link> link, List<Addr> addrs, int parentIndex, String parentName,
      IpNet address, IpNet network) {
    VxlanSpec want = specOn(parentIndex);
    String name = want.name();
    String show = "ip -d link show " + name;
    List<DeviceFact> out = new ArrayList<>();
    if (link.isEmpty()) {
      out.add(new DeviceFact(name, "present", "absent", true, show));
      return out;
    }
    Link l = link.get();
    out.add(new DeviceFact(name + " type", "vxlan", String.valueOf(l.kind()), true, show));
    if (l.vxlan().isEmpty()) {
      return out;
    }
    VxlanAttrs have = l.vxlan().get();
    VxlanAttrs a = want.attrs();
    out.add(new DeviceFact(name + " VNI", Integer.toString(a.vni()), Integer.toString(have.vni()), true, show));
    out.add(new DeviceFact(name + " port", Integer.toString(port(a)), Integer.toString(port(have)), true, show));
    out.add(new DeviceFact(name + " dev", parentName + " (index " + parentIndex + ")",
        have.parentIndex() == parentIndex ? parentName + " (index " + parentIndex + ")"
            : "index " + have.parentIndex(), true, show));
    out.add(new DeviceFact(name + " local", text(a.local()), text(have.local()), true, show));
    out.add(new DeviceFact(name + " gbp", Boolean.toString(a.gbp()), Boolean.toString(have.gbp()), true, show));
    out.add(new DeviceFact(name + " learning", learning(a.learning()), learning(have.learning()), false, show));
    out.add(new DeviceFact(name + " MAC (published VtepMAC)", spec.mac().toString(),
        String.valueOf(l.hardwareAddress()), true, show));
    out.add(new DeviceFact(name + " MTU", Integer.toString(spec.mtu()), Integer.toString(l.mtu()), true, show));
    out.add(new DeviceFact(name + " state", "up", l.up() ? "up" : "down", true, show));
    String addrShow = "ip addr show dev " + name;
    String wantAddr = address.address().getHostAddress() + "/" + address.prefixLength();
    List<String> inNetwork = new ArrayList<>();
    for (Addr x : addrs) {
      if (network.contains(x.address())) {
        inNetwork.add(x.address().getHostAddress() + "/" + x.prefixLength());
      }
    }
    out.add(new DeviceFact(name + " address", wantAddr, inNetwork.isEmpty() ? "none" : String.join(" ", inNetwork),
        true, addrShow));
    return out;
  }

  private static int port(VxlanAttrs a) {
    return a.port() == 0 ? KERNEL_DEFAULT_PORT : a.port();
  }

  private static String learning(boolean on) {
    return on ? "learning" : "nolearning";
  }

  private static String text(java.net.InetAddress a) {
    return a == null ? "none" : a.getHostAddress();
  }

  /** The link after {@link #ensure} and what was fixed. */
  record Result(Link link, Set<ObjectKind> fixed) {
  }
}
