package io.jflannel.daemon.check;

import io.jflannel.backend.DryPass;
import io.jflannel.backend.ObjectKeys;
import io.jflannel.backend.ReconcilePlan;
import io.jflannel.netlink.FdbEntry;
import io.jflannel.netlink.Neigh;
import io.jflannel.netlink.NetlinkOp;
import io.jflannel.netlink.Route;
import io.jflannel.subnet.IpNet;
import io.jflannel.subnet.Lease;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntFunction;
import java.util.function.Predicate;

/**
 * Turns the daemon's own plan for a full pass ({@link DryPass}) into report lines: every
 * request the plan would send is a FAIL (a replace: the object is missing or wrong; a delete:
 * it belongs to no current peer), every peer the plan leaves alone is OK, every refused peer a
 * WARN. Routes inside the cluster network that jflannel does not own are WARNs. Pure.
 */
final class PlanFindings {
  private PlanFindings() {
  }

  /**
   * What the kernel holds besides the owned objects, to tell a missing object from a wrong one.
   *
   * @param routes every route of the main table (IPv4)
   * @param neighs every neighbour of the backend's device
   * @param fdb    every FDB entry of the backend's device
   */
  record Kernel(List<Route> routes, List<Neigh> neighs, List<FdbEntry> fdb) {
  }

  static List<Finding> of(DryPass pass, Kernel kernel, IntFunction<String> linkName, IpNet network, IpNet ownSubnet,
      Predicate<Route> owns) {
    List<Finding> out = new ArrayList<>();
    Map<String, ReconcilePlan.PeerSteps> steps = new HashMap<>();
    pass.plan().peers().forEach(s -> steps.put(s.peer(), s));
    for (Map.Entry<String, Lease> e : pass.accepted().entrySet()) {
      Lease peer = e.getValue();
      String who = "peer " + peer.subnet() + " (" + peer.attrs().publicIp().getHostAddress() + ")";
      ReconcilePlan.PeerSteps s = steps.get(e.getKey());
      if (s == null) {
        out.add(Finding.ok(who, kinds(pass.desired().get(e.getKey())) + " in place"));
        continue;
      }
      for (NetlinkOp op : s.neighs()) {
        Neigh want = ((NetlinkOp.NeighReplace) op).neigh();
        Neigh have = find(kernel.neighs(), n -> ObjectKeys.key(n).equals(ObjectKeys.key(want)));
        out.add(Finding.fail(who, "neighbour " + describe(op, linkName) + " "
            + state(have == null ? null : new NetlinkOp.NeighReplace(have), linkName),
            "ip neigh show dev " + linkName.apply(want.linkIndex()),
            hint(have, "without it the kernel cannot address the peer's VTEP")));
      }
      for (NetlinkOp op : s.fdb()) {
        FdbEntry want = ((NetlinkOp.FdbReplace) op).entry();
        FdbEntry have = find(kernel.fdb(), f -> ObjectKeys.key(f).equals(ObjectKeys.key(want)));
        out.add(Finding.fail(who, "FDB entry " + describe(op, linkName) + " "
            + state(have == null ? null : new NetlinkOp.FdbReplace(have), linkName),
            "bridge fdb show dev " + linkName.apply(want.linkIndex()),
            hint(have, "without it encapsulated packets do not reach the peer's public IP")));
      }
      for (NetlinkOp op : s.routes()) {
        Route want = ((NetlinkOp.RouteReplace) op).route();
        Route have = find(kernel.routes(), r -> ObjectKeys.key(r).equals(ObjectKeys.key(want)));
        out.add(Finding.fail(who, "route " + describe(op, linkName) + " "
            + state(have == null ? null : new NetlinkOp.RouteReplace(have), linkName),
            "ip route show dev " + linkName.apply(want.linkIndex()),
            hint(have, "without it pod traffic to this peer takes the default route")));
      }
    }
    for (NetlinkOp op : pass.plan().deletes()) {
      String what;
      String see;
      String del;
      if (op instanceof NetlinkOp.RouteDelete d) {
        what = "route";
        del = "ip route del ";
        see = "ip route show dev " + linkName.apply(d.route().linkIndex());
      } else if (op instanceof NetlinkOp.FdbDelete d) {
        what = "FDB entry";
        del = "bridge fdb del ";
        see = "bridge fdb show dev " + linkName.apply(d.entry().linkIndex());
      } else {
        what = "neighbour";
        del = "ip neigh del ";
        see = "ip neigh show dev " + linkName.apply(((NetlinkOp.NeighDelete) op).neigh().linkIndex());
      }
      String object = describe(op, linkName);
      out.add(Finding.fail("stale " + what, object + " belongs to no current peer", see,
          "left by a peer that is gone or refused; a running flanneld deletes it on its next full pass (by hand: "
              + del + object + ")"));
    }
    pass.rejected().forEach((key, r) -> out.add(Finding.warn("peer " + key, "refused: "
        + r.reason().label() + ": " + r.detail(), "", "flanneld refuses it too and logs why; fix the peer's lease")));
    Set<ObjectKeys.RouteKey> desired = new HashSet<>();
    pass.desired().values().forEach(p -> p.routes().forEach(r -> desired.add(ObjectKeys.key(r))));
    for (Route r : kernel.routes()) {
      if (r.dst() == null || !r.isIpv4() || r.table() != Route.RT_TABLE_MAIN || owns.test(r)
          || desired.contains(ObjectKeys.key(r))) {
        continue;
      }
      IpNet dst = IpNet.of(r.dst(), r.dstPrefixLength());
      if (!network.contains(dst) || ownSubnet.contains(dst)) {
        continue; // outside the cluster network, or this node's own pods (cni0, blackhole)
      }
      out.add(Finding.warn("foreign route", r.dstString() + " " + r + " lies inside the cluster network "
          + network + " and is not flanneld's", "ip route show " + r.dstString(),
          "another agent or an operator added it; it may divert traffic meant for a peer"));
    }
    return out;
  }

  private static String kinds(io.jflannel.backend.PeerObjects p) {
    List<String> k = new ArrayList<>();
    if (p != null) {
      if (!p.routes().isEmpty()) {
        k.add("route");
      }
      if (!p.neighs().isEmpty()) {
        k.add("neighbour");
      }
      if (!p.fdb().isEmpty()) {
        k.add("FDB entry");
      }
    }
    return k.isEmpty() ? "nothing needed" : String.join(", ", k);
  }

  private static String describe(NetlinkOp op, IntFunction<String> linkName) {
    return op.describe(linkName).replaceFirst("^\\S+ \\S+ ", ""); // drop the verb ("route replace")
  }

  /** The kernel's object, described as the wanted one is (device names, not indexes). */
  private static String state(NetlinkOp have, IntFunction<String> linkName) {
    return have == null ? "missing" : "wrong (kernel has " + describe(have, linkName) + ")";
  }

  private static String hint(Object have, String why) {
    return (have == null ? "missing: " : "overwritten: ") + why
        + "; a running flanneld puts it back within seconds, else look at its log";
  }

  private static <T> T find(List<T> all, Predicate<T> p) {
    for (T t : all) {
      if (p.test(t)) {
        return t;
      }
    }
    return null;
  }
}
