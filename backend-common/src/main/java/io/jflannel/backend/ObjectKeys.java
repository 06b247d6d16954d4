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
    @Override
    public int hashCode() {
      return mix((((family * 31 + table) * 31 + Objects.hashCode(dst)) * 31 + prefixLength) * 31 + priority);
    }
  }

  /** A neighbour slot. */
  public record NeighKey(int linkIndex, InetAddress address) {
    @Override
    public int hashCode() {
      return mix(linkIndex * 31 + Objects.hashCode(address));
    }
  }

  /**
   * An FDB entry. A VXLAN device may hold several destinations for one MAC, so the
   * destination is part of the identity: an entry with another dst is a different entry.
   */
  public record FdbKey(int linkIndex, MacAddress mac, InetAddress dst) {
    @Override
    public int hashCode() {
      return mix((linkIndex * 31 + Objects.hashCode(mac)) * 31 + Objects.hashCode(dst));
    }
  }

  /**
   * Spreads a key's hash over all bits. The records' own hashCode keeps an IPv4 address's
   * hash (the address itself) nearly as is, and flannel's addresses are {@code a.b.c.0}: with
   * a constant low byte, 5,000 neighbour keys fell into 640 of a map's 8,192 buckets, all of
   * them long enough to be turned into trees. MurmurHash3's 32-bit finaliser spreads them
   * (a single multiply and xor-shift by 16 would be undone by the maps' own xor-shift by 16).
   */
  static int mix(int h) {
    int x = h ^ (h >>> 16);
    x *= 0x85ebca6b;
    x ^= x >>> 13;
    x *= 0xc2b2ae35;
    return x ^ (x >>> 16);
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
