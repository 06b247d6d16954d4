package io.jflannel.backend;

import io.jflannel.netlink.FdbEntry;
import io.jflannel.netlink.Neigh;
import io.jflannel.netlink.Route;
import java.util.List;
import java.util.Objects;

/**
 * The kernel objects one peer needs, programmed in this order (neighbours, then FDB
 * entries, then routes) so the kernel never has to resolve anything on its own.
 *
 * <p>A value like a record of three lists, stored compactly: the reconciler keeps one per
 * accepted peer, and a peer has none or one object of each kind (vxlan: one of each; host-gw:
 * a route). Each kind is held as nothing, the one object, or an immutable list of two or more,
 * so a peer costs this object and its kernel objects instead of three lists besides
 * (72 bytes per peer, decision 0855); the accessors hand out immutable lists.
 */
public final class PeerObjects {
  private final Object neighs;
  private final Object fdb;
  private final Object routes;

  /**
   * @param neighs permanent neighbours (vxlan: the peer's gateway → VTEP MAC)
   * @param fdb    FDB entries (vxlan: VTEP MAC → public IP)
   * @param routes routes (the peer's subnet)
   */
  public PeerObjects(List<Neigh> neighs, List<FdbEntry> fdb, List<Route> routes) {
    this.neighs = compact(neighs);
    this.fdb = compact(fdb);
    this.routes = compact(routes);
  }

  /** Only a route (host-gw, vxlan DirectRouting). */
  public static PeerObjects route(Route r) {
    return new PeerObjects(List.of(), List.of(), List.of(r));
  }

  public List<Neigh> neighs() {
    return expand(neighs);
  }

  public List<FdbEntry> fdb() {
    return expand(fdb);
  }

  public List<Route> routes() {
    return expand(routes);
  }

  /** null for none, the object for one (null elements refused, as by List.copyOf), else a copy. */
  private static Object compact(List<?> objects) {
    return switch (objects.size()) {
      case 0 -> null;
      case 1 -> Objects.requireNonNull(objects.get(0));
      default -> List.copyOf(objects);
    };
  }

  @SuppressWarnings("unchecked")
  private static <T> List<T> expand(Object held) {
    if (held == null) {
      return List.of();
    }
    return held instanceof List<?> l ? (List<T>) l : List.of((T) held);
  }

  @Override
  public boolean equals(Object o) {
    // The stored forms are canonical (none, one, two or more), so they compare directly.
    return o instanceof PeerObjects p && Objects.equals(neighs, p.neighs) && Objects.equals(fdb, p.fdb)
        && Objects.equals(routes, p.routes);
  }

  @Override
  public int hashCode() {
    return (neighs().hashCode() * 31 + fdb().hashCode()) * 31 + routes().hashCode();
  }

  @Override
  public String toString() {
    return "PeerObjects[neighs=" + neighs() + ", fdb=" + fdb() + ", routes=" + routes() + "]";
  }
}
