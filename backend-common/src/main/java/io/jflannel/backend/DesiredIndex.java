package io.jflannel.backend;

import io.jflannel.netlink.FdbEntry;
import io.jflannel.netlink.Neigh;
import io.jflannel.netlink.Route;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The desired kernel objects of every accepted peer, found by slot (the identity
 * {@link ObjectKeys} defines): the notification thread asks it whether an event touches a
 * desired object while passes add and remove peers.
 *
 * <p>Indexed by the address in each object's slot (a route's destination, a neighbour's
 * address, an FDB entry's destination), one entry per distinct address of a peer: a vxlan peer
 * has two (its subnet, whose address the route and the neighbour share, and its public IP), a
 * host-gw peer one. That holds each peer once per address instead of once per object, with no
 * key objects (decision 0856). Peers that share an address (two leases of one public IP) share
 * the entry; the slot decides which object is meant.
 */
final class DesiredIndex {
  /** The index key of an object whose slot has no address (none of a peer's has). */
  private static final Object NO_ADDRESS = new Object();

  /** Address → the PeerObjects holding it, or a PeerObjects[] when several do. */
  private final ConcurrentHashMap<Object, Object> byAddress = new ConcurrentHashMap<>();

  /** Adds a peer's objects (again: no change). */
  void add(PeerObjects p) {
    for (Object a : addresses(p)) {
      byAddress.merge(a, p, (held, x) -> with(held, p));
    }
  }

  /** Removes a peer's objects, this instance only (not there: no change). */
  void remove(PeerObjects p) {
    for (Object a : addresses(p)) {
      byAddress.computeIfPresent(a, (k, held) -> without(held, p));
    }
  }

  /** The desired route in {@code r}'s slot, or null. */
  Route route(Route r) {
    return find(r.dst(), PeerObjects::routes, ObjectKeys.key(r), ObjectKeys::key);
  }

  /** The desired neighbour in {@code n}'s slot, or null. */
  Neigh neigh(Neigh n) {
    return find(n.address(), PeerObjects::neighs, ObjectKeys.key(n), ObjectKeys::key);
  }

  /** The desired FDB entry in {@code f}'s slot, or null. */
  FdbEntry fdb(FdbEntry f) {
    return find(f.dst(), PeerObjects::fdb, ObjectKeys.key(f), ObjectKeys::key);
  }

  /** Number of index entries (tests). */
  int entries() {
    return byAddress.size();
  }

  private <T> T find(InetAddress address, Function<PeerObjects, List<T>> kind, Object slot, Function<T, Object> slotOf) {
    Object held = byAddress.get(address == null ? NO_ADDRESS : address);
    if (held instanceof PeerObjects p) {
      return inSlot(kind.apply(p), slot, slotOf);
    }
    if (held instanceof PeerObjects[] several) {
      for (PeerObjects p : several) {
        T found = inSlot(kind.apply(p), slot, slotOf);
        if (found != null) {
          return found;
        }
      }
    }
    return null;
  }

  private static <T> T inSlot(List<T> objects, Object slot, Function<T, Object> slotOf) {
    for (T o : objects) {
      if (slotOf.apply(o).equals(slot)) {
        return o;
      }
    }
    return null;
  }

  /** The distinct index keys of a peer's objects (a peer has one to three). */
  private static List<Object> addresses(PeerObjects p) {
    List<Object> out = new ArrayList<>(3);
    p.routes().forEach(r -> addDistinct(out, r.dst()));
    p.neighs().forEach(x -> addDistinct(out, x.address()));
    p.fdb().forEach(f -> addDistinct(out, f.dst()));
    return out;
  }

  private static void addDistinct(List<Object> out, InetAddress address) {
    Object key = address == null ? NO_ADDRESS : address;
    if (!out.contains(key)) {
      out.add(key);
    }
  }

  private static Object with(Object held, PeerObjects p) {
    if (held == p) {
      return held;
    }
    if (held instanceof PeerObjects one) {
      return new PeerObjects[] {one, p};
    }
    PeerObjects[] several = (PeerObjects[]) held;
    for (PeerObjects x : several) {
      if (x == p) {
        return held;
      }
    }
    PeerObjects[] more = Arrays.copyOf(several, several.length + 1);
    more[several.length] = p;
    return more;
  }

  /** {@code held} without {@code p}; null (the entry goes) when nothing is left. */
  private static Object without(Object held, PeerObjects p) {
    if (held == p) {
      return null;
    }
    if (!(held instanceof PeerObjects[] several)) {
      return held;
    }
    int at = -1;
    for (int i = 0; i < several.length; i++) {
      if (several[i] == p) {
        at = i;
      }
    }
    if (at < 0) {
      return held;
    }
    if (several.length == 2) {
      return several[1 - at];
    }
    PeerObjects[] fewer = new PeerObjects[several.length - 1];
    System.arraycopy(several, 0, fewer, 0, at);
    System.arraycopy(several, at + 1, fewer, at, several.length - at - 1);
    return fewer;
  }
}
