package io.jflannel.backend;

import io.jflannel.backend.ObjectKeys.FdbKey;
import io.jflannel.backend.ObjectKeys.NeighKey;
import io.jflannel.backend.ObjectKeys.RouteKey;
import io.jflannel.netlink.FdbEntry;
import io.jflannel.netlink.Neigh;
import io.jflannel.netlink.NetlinkOp;
import io.jflannel.netlink.Route;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Diffs the desired objects of every peer against the owned kernel objects (pure).
 * Missing or wrong objects become replaces, owned objects nobody wants become deletes.
 */
public final class ReconcilePlanner {
  private ReconcilePlanner() {
  }

  /**
   * @param desired peer key → the objects it needs, in the order peers should be programmed
   * @param actual  the owned kernel objects
   */
  public static ReconcilePlan plan(Map<String, PeerObjects> desired, OwnedObjects actual) {
    Map<RouteKey, Route> haveRoutes = new HashMap<>();
    actual.routes().forEach(r -> haveRoutes.put(ObjectKeys.key(r), r));
    Map<NeighKey, Neigh> haveNeighs = new HashMap<>();
    actual.neighs().forEach(n -> haveNeighs.put(ObjectKeys.key(n), n));
    Map<FdbKey, FdbEntry> haveFdb = new HashMap<>();
    actual.fdb().forEach(e -> haveFdb.put(ObjectKeys.key(e), e));

    Set<RouteKey> wantRoutes = new HashSet<>();
    Set<NeighKey> wantNeighs = new HashSet<>();
    Set<FdbKey> wantFdb = new HashSet<>();
    List<ReconcilePlan.PeerSteps> steps = new ArrayList<>();
    for (Map.Entry<String, PeerObjects> e : desired.entrySet()) {
      PeerObjects want = e.getValue();
      List<NetlinkOp> neighOps = new ArrayList<>();
      for (Neigh n : want.neighs()) {
        wantNeighs.add(ObjectKeys.key(n));
        Neigh have = haveNeighs.get(ObjectKeys.key(n));
        if (have == null || !ObjectKeys.same(n, have)) {
          neighOps.add(NetlinkOp.neighReplace(n));
        }
      }
      List<NetlinkOp> fdbOps = new ArrayList<>();
      for (FdbEntry f : want.fdb()) {
        wantFdb.add(ObjectKeys.key(f));
        FdbEntry have = haveFdb.get(ObjectKeys.key(f));
        if (have == null || !ObjectKeys.same(f, have)) {
          fdbOps.add(NetlinkOp.fdbReplace(f));
        }
      }
      List<NetlinkOp> routeOps = new ArrayList<>();
      for (Route r : want.routes()) {
        wantRoutes.add(ObjectKeys.key(r));
        Route have = haveRoutes.get(ObjectKeys.key(r));
        if (have == null || !ObjectKeys.same(r, have)) {
          routeOps.add(NetlinkOp.routeReplace(r));
        }
      }
      if (!neighOps.isEmpty() || !fdbOps.isEmpty() || !routeOps.isEmpty()) {
        steps.add(new ReconcilePlan.PeerSteps(e.getKey(), neighOps, fdbOps, routeOps));
      }
    }
    // Stale objects go after the adds, and routes before what they point at, so nothing
    // in use disappears before its replacement is in place.
    List<NetlinkOp> deletes = new ArrayList<>();
    for (Route r : actual.routes()) {
      if (!wantRoutes.contains(ObjectKeys.key(r))) {
        deletes.add(NetlinkOp.routeDelete(r));
      }
    }
    for (FdbEntry f : actual.fdb()) {
      if (!wantFdb.contains(ObjectKeys.key(f))) {
        deletes.add(NetlinkOp.fdbDelete(f));
      }
    }
    for (Neigh n : actual.neighs()) {
      if (!wantNeighs.contains(ObjectKeys.key(n))) {
        deletes.add(NetlinkOp.neighDelete(n));
      }
    }
    return new ReconcilePlan(steps, deletes);
  }
}
