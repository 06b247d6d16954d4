package io.jflannel.backend;

import io.jflannel.netlink.FdbEntry;
import io.jflannel.netlink.Neigh;
import io.jflannel.netlink.Route;
import java.util.List;

/**
 * A kernel dump restricted to the objects jflannel owns (see {@link Dataplane#owns}).
 */
public record OwnedObjects(List<Route> routes, List<Neigh> neighs, List<FdbEntry> fdb) {
  public OwnedObjects {
    routes = List.copyOf(routes);
    neighs = List.copyOf(neighs);
    fdb = List.copyOf(fdb);
  }

  public static final OwnedObjects EMPTY = new OwnedObjects(List.of(), List.of(), List.of());
}
