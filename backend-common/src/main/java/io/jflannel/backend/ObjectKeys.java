package io.jflannel.backend;

import io.jflannel.netlink.FdbEntry;
import io.jflannel.netlink.MacAddress;
import io.jflannel.netlink.Neigh;
import io.jflannel.netlink.Route;
import java.net.InetAddress;
import java.util.Objects;

/**
 * Identity and "is it right" rules for kernel objects. Two objects with the same key are
 * the same slot in the kernel (a replace overwrites it); a slot whose content differs from
 * the desired one is wrong and gets replaced.
 */
public final class ObjectKeys {
  private ObjectKeys() {
  }

  /** A route slot: what {@code ip route replace} overwrites. */
  public record RouteKey(int family, int table, InetAddress dst, int prefixLength, int priority) {
  }

  /** A neighbour slot. */
  public record NeighKey(int linkIndex, InetAddress address) {
  }

  /**
   * An FDB entry. A VXLAN device may hold several destinations for one MAC, so the
   * destination is part of the identity: an entry with another dst is a different entry.
   */
  public record FdbKey(int linkIndex, MacAddress mac, InetAddress dst) {
  }

  public static RouteKey key(Route r) {
    return new RouteKey(r.family(), r.table(), r.dst(), r.dstPrefixLength(), r.priority());
  }

  public static NeighKey key(Neigh n) {
    return new NeighKey(n.linkIndex(), n.address());
  }

  public static FdbKey key(FdbEntry e) {
    return new FdbKey(e.linkIndex(), e.mac(), e.dst());
  }

  /** Whether the kernel's route does what the desired one asks (protocol and scope are not compared). */
  public static boolean same(Route desired, Route actual) {
    return desired.type() == actual.type()
        && desired.linkIndex() == actual.linkIndex()
        && Objects.equals(desired.gateway(), actual.gateway())
        && desired.isOnlink() == actual.isOnlink();
  }

  /** Whether the kernel's neighbour has the desired MAC and is permanent. */
  public static boolean same(Neigh desired, Neigh actual) {
    return Objects.equals(desired.lladdr(), actual.lladdr())
        && (actual.state() & Neigh.NUD_PERMANENT) != 0;
  }

  /** Whether the kernel's FDB entry is a permanent device ({@code self}) entry. */
  public static boolean same(FdbEntry desired, FdbEntry actual) {
    return (actual.state() & Neigh.NUD_PERMANENT) != 0
        && (actual.flags() & Neigh.NTF_SELF) != 0;
  }
}
