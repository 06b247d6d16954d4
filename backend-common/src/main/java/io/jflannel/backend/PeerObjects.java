package io.jflannel.backend;

import io.jflannel.netlink.FdbEntry;
import io.jflannel.netlink.Neigh;
import io.jflannel.netlink.Route;
import java.util.List;

/**
 * The kernel objects one peer needs, programmed in this order (neighbours, then FDB
 * entries, then routes) so the kernel never has to resolve anything on its own.
 *
 * @param neighs permanent neighbours (vxlan: the peer's gateway → VTEP MAC)
 * @param fdb    FDB entries (vxlan: VTEP MAC → public IP)
 * @param routes routes (the peer's subnet)
 */
public record PeerObjects(List<Neigh> neighs, List<FdbEntry> fdb, List<Route> routes) {
  public PeerObjects {
    neighs = List.copyOf(neighs);
    fdb = List.copyOf(fdb);
    routes = List.copyOf(routes);
  }

  /** Only a route (host-gw, vxlan DirectRouting). */
  public static PeerObjects route(Route r) {
    return new PeerObjects(List.of(), List.of(), List.of(r));
  }
}
