package io.jflannel.daemon.check;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jflannel.backend.DryPass;
import io.jflannel.backend.OwnedObjects;
import io.jflannel.backend.PeerObjects;
import io.jflannel.backend.ReconcilePlanner;
import io.jflannel.backend.RejectReason;
import io.jflannel.backend.Rejection;
import io.jflannel.netlink.FdbEntry;
import io.jflannel.netlink.MacAddress;
import io.jflannel.netlink.Neigh;
import io.jflannel.netlink.Route;
import io.jflannel.subnet.IpLiteral;
import io.jflannel.subnet.IpNet;
import io.jflannel.subnet.Lease;
import io.jflannel.subnet.LeaseAttrs;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * {@link PlanFindings} on plans made by the daemon's own {@link ReconcilePlanner} from
 * constructed vxlan objects: one test per kind of line (in place, missing, wrong, stale,
 * refused, foreign).
 */
class PlanFindingsTest {
  static final int VTEP = 5;
  static final int ETH0 = 2;
  static final IntFunction<String> NAMES = i -> i == VTEP ? "flannel.1" : i == ETH0 ? "eth0" : null;
  static final IpNet NETWORK = IpNet.parseNetwork("10.244.0.0/16");
  static final IpNet OWN = IpNet.parseNetwork("10.244.1.0/24");
  static final MacAddress MAC = MacAddress.parse("2a:00:00:00:00:11");
  static final InetAddress VTEP_ADDR = IpLiteral.parseV4("10.244.7.0");
  static final InetAddress PUBLIC = IpLiteral.parseV4("192.0.2.11");
  static final Route ROUTE = new Route(VTEP_ADDR, 24, VTEP_ADDR, VTEP, Route.RT_TABLE_MAIN, Route.SCOPE_UNIVERSE,
      Route.PROTO_BOOT, Route.TYPE_UNICAST, true, null, 0, 0);
  static final Neigh NEIGH = new Neigh(VTEP, VTEP_ADDR, MAC, Neigh.NUD_PERMANENT, 0);
  static final FdbEntry FDB = FdbEntry.permanentSelf(VTEP, MAC, PUBLIC);
  static final String WHO = "peer 10.244.7.0/24 (192.0.2.11)";
  /** What the vxlan dataplane owns: routes and entries on its device. */
  static final Predicate<Route> OWNS = r -> r.linkIndex() == VTEP;

  static Lease peer() {
    return new Lease(IpNet.parseNetwork("10.244.7.0/24"), null, new LeaseAttrs(PUBLIC, null, "vxlan", null, null),
        null);
  }

  /** A pass for the one peer against the owned kernel objects; the kernel holds {@code owned} plus {@code other}. */
  static List<Finding> findings(OwnedObjects owned, List<Route> otherRoutes, Map<String, Rejection> rejected) {
    Lease p = peer();
    Map<String, PeerObjects> desired = new LinkedHashMap<>();
    desired.put(p.key(), new PeerObjects(List.of(NEIGH), List.of(FDB), List.of(ROUTE)));
    DryPass pass = new DryPass(Map.of(p.key(), p), rejected, desired, owned, ReconcilePlanner.plan(desired, owned));
    List<Route> routes = new ArrayList<>(owned.routes());
    routes.addAll(otherRoutes);
    return PlanFindings.of(pass, new PlanFindings.Kernel(routes, owned.neighs(), owned.fdb()), NAMES, NETWORK, OWN,
        OWNS);
  }

  static List<String> lines(List<Finding> findings) {
    return findings.stream().map(Finding::line).toList();
  }

  @Test
  void aPeerWithEverythingInPlaceIsOneOkLine() {
    assertEquals(List.of("OK   " + WHO + ": route, neighbour, FDB entry in place"),
        lines(findings(new OwnedObjects(List.of(ROUTE), List.of(NEIGH), List.of(FDB)), List.of(), Map.of())));
  }

  @Test
  void aMissingRouteIsAFailNamingTheRouteTheCommandAndTheHint() {
    assertEquals(List.of("FAIL " + WHO + ": route 10.244.7.0/24 via 10.244.7.0 dev flannel.1 onlink missing"
            + " | see: ip route show dev flannel.1 | hint: missing: without it pod traffic to this peer takes the"
            + " default route; a running flanneld puts it back within seconds, else look at its log"),
        lines(findings(new OwnedObjects(List.of(), List.of(NEIGH), List.of(FDB)), List.of(), Map.of())));
  }

  @Test
  void aMissingFdbEntryIsAFail() {
    assertEquals(List.of("FAIL " + WHO + ": FDB entry 2a:00:00:00:00:11 dev flannel.1 dst 192.0.2.11 self permanent"
            + " missing | see: bridge fdb show dev flannel.1 | hint: missing: without it encapsulated packets do not"
            + " reach the peer's public IP; a running flanneld puts it back within seconds, else look at its log"),
        lines(findings(new OwnedObjects(List.of(ROUTE), List.of(NEIGH), List.of()), List.of(), Map.of())));
  }

  @Test
  void aWrongNeighbourShowsWhatTheKernelHasWithDeviceNames() {
    Neigh other = new Neigh(VTEP, VTEP_ADDR, MacAddress.parse("2a:00:00:00:00:99"), Neigh.NUD_PERMANENT, 0);
    assertEquals(List.of("FAIL " + WHO + ": neighbour 10.244.7.0 lladdr 2a:00:00:00:00:11 dev flannel.1 nud permanent"
            + " wrong (kernel has 10.244.7.0 lladdr 2a:00:00:00:00:99 dev flannel.1 nud permanent)"
            + " | see: ip neigh show dev flannel.1 | hint: overwritten: without it the kernel cannot address the"
            + " peer's VTEP; a running flanneld puts it back within seconds, else look at its log"),
        lines(findings(new OwnedObjects(List.of(ROUTE), List.of(other), List.of(FDB)), List.of(), Map.of())));
  }

  @Test
  void ownedObjectsNoPeerWantsAreStaleFailsWithTheDeleteCommand() {
    Route staleRoute = Route.via(IpLiteral.parseV4("10.244.9.0"), 24, IpLiteral.parseV4("10.244.9.0"), VTEP);
    FdbEntry staleFdb = FdbEntry.permanentSelf(VTEP, MacAddress.parse("2a:00:00:00:00:22"),
        IpLiteral.parseV4("192.0.2.12"));
    Neigh staleNeigh = new Neigh(VTEP, IpLiteral.parseV4("10.244.9.0"), MacAddress.parse("2a:00:00:00:00:22"),
        Neigh.NUD_PERMANENT, 0);
    List<String> lines = lines(findings(new OwnedObjects(List.of(ROUTE, staleRoute), List.of(NEIGH, staleNeigh),
        List.of(FDB, staleFdb)), List.of(), Map.of()));
    assertEquals(List.of("OK   " + WHO + ": route, neighbour, FDB entry in place",
        "FAIL stale route: 10.244.9.0/24 via 10.244.9.0 dev flannel.1 belongs to no current peer | see: ip route show"
            + " dev flannel.1 | hint: left by a peer that is gone or refused; a running flanneld deletes it on its next"
            + " full pass (by hand: ip route del 10.244.9.0/24 via 10.244.9.0 dev flannel.1)",
        "FAIL stale FDB entry: 2a:00:00:00:00:22 dev flannel.1 dst 192.0.2.12 self permanent belongs to no current"
            + " peer | see: bridge fdb show dev flannel.1 | hint: left by a peer that is gone or refused; a running"
            + " flanneld deletes it on its next full pass (by hand: bridge fdb del 2a:00:00:00:00:22 dev flannel.1"
            + " dst 192.0.2.12 self permanent)",
        "FAIL stale neighbour: 10.244.9.0 lladdr 2a:00:00:00:00:22 dev flannel.1 nud permanent belongs to no current"
            + " peer | see: ip neigh show dev flannel.1 | hint: left by a peer that is gone or refused; a running"
            + " flanneld deletes it on its next full pass (by hand: ip neigh del 10.244.9.0 lladdr 2a:00:00:00:00:22"
            + " dev flannel.1 nud permanent)"), lines);
  }

  @Test
  void aRefusedPeerIsAWarnWithTheReason() {
    List<String> lines = lines(findings(new OwnedObjects(List.of(ROUTE), List.of(NEIGH), List.of(FDB)), List.of(),
        Map.of("10.99.0.0-24", new Rejection(RejectReason.SUBNET_OUTSIDE_NETWORK, "10.99.0.0/24 outside 10.244.0.0/16"))));
    assertEquals("WARN peer 10.99.0.0-24: refused: subnet_outside_network: 10.99.0.0/24 outside 10.244.0.0/16 | hint:"
        + " flanneld refuses it too and logs why; fix the peer's lease", lines.get(1));
    assertEquals(2, lines.size());
  }

  @Test
  void onlyForeignRoutesInsideTheNetworkAndOutsideTheOwnSubnetAreWarns() {
    Route foreign = Route.via(IpLiteral.parseV4("10.244.30.0"), 24, IpLiteral.parseV4("192.0.2.50"), ETH0);
    Route ownPods = Route.dev(IpLiteral.parseV4("10.244.1.0"), 24, 9); // cni0
    Route outside = Route.via(IpLiteral.parseV4("10.99.0.0"), 16, IpLiteral.parseV4("192.0.2.50"), ETH0);
    Route defaultRoute = Route.via(IpLiteral.parseV4("0.0.0.0"), 0, IpLiteral.parseV4("192.0.2.1"), ETH0);
    List<Finding> f = findings(new OwnedObjects(List.of(ROUTE), List.of(NEIGH), List.of(FDB)),
        List.of(foreign, ownPods, outside, defaultRoute), Map.of());
    assertEquals(2, f.size(), lines(f).toString());
    assertEquals(Finding.Level.WARN, f.get(1).level());
    assertEquals("foreign route", f.get(1).subject());
    assertEquals("ip route show 10.244.30.0/24", f.get(1).see());
  }
}
