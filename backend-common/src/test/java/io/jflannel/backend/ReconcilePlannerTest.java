package io.jflannel.backend;

import static io.jflannel.backend.Leases.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jflannel.netlink.FdbEntry;
import io.jflannel.netlink.MacAddress;
import io.jflannel.netlink.Neigh;
import io.jflannel.netlink.NetlinkOp;
import io.jflannel.netlink.Route;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ReconcilePlannerTest {
  static final int DEV = 5;
  static final MacAddress M2 = MacAddress.parse("2a:00:00:00:00:02");
  static final MacAddress M9 = MacAddress.parse("2a:00:00:00:00:09");

  static PeerObjects peer(String gw, MacAddress mac, String pub) {
    return new PeerObjects(List.of(Neigh.permanent(DEV, ip(gw), mac)),
        List.of(FdbEntry.permanentSelf(DEV, mac, ip(pub))),
        List.of(Route.via(ip(gw), 24, ip(gw), DEV).onlink()));
  }

  static OwnedObjects kernel(PeerObjects... peers) {
    return new OwnedObjects(
        java.util.Arrays.stream(peers).flatMap(p -> p.routes().stream()).toList(),
        java.util.Arrays.stream(peers).flatMap(p -> p.neighs().stream()).toList(),
        java.util.Arrays.stream(peers).flatMap(p -> p.fdb().stream()).toList());
  }

  @Test
  void emptyKernelGetsEveryStepInOrder() {
    PeerObjects p = peer("10.244.2.0", M2, "192.0.2.2");
    ReconcilePlan plan = ReconcilePlanner.plan(Map.of("p2", p), OwnedObjects.EMPTY);
    assertEquals(1, plan.peers().size());
    var s = plan.peers().get(0);
    assertEquals(List.of(NetlinkOp.neighReplace(p.neighs().get(0))), s.neighs());
    assertEquals(List.of(NetlinkOp.fdbReplace(p.fdb().get(0))), s.fdb());
    assertEquals(List.of(NetlinkOp.routeReplace(p.routes().get(0))), s.routes());
    assertTrue(plan.deletes().isEmpty());
  }

  @Test
  void matchingKernelNeedsNothing() {
    PeerObjects p = peer("10.244.2.0", M2, "192.0.2.2");
    assertTrue(ReconcilePlanner.plan(Map.of("p2", p), kernel(p)).isEmpty());
  }

  @Test
  void kernelRoutesWithOtherProtocolOrScopeStillMatch() {
    PeerObjects p = peer("10.244.2.0", M2, "192.0.2.2");
    Route k = p.routes().get(0).withProtocol(Route.PROTO_STATIC);
    OwnedObjects have = new OwnedObjects(List.of(k), p.neighs(), p.fdb());
    assertTrue(ReconcilePlanner.plan(Map.of("p2", p), have).isEmpty());
  }

  @Test
  void onlyTheMissingStepIsRedone() {
    PeerObjects p = peer("10.244.2.0", M2, "192.0.2.2");
    OwnedObjects have = new OwnedObjects(p.routes(), p.neighs(), List.of());
    ReconcilePlan plan = ReconcilePlanner.plan(Map.of("p2", p), have);
    assertEquals(1, plan.size());
    assertEquals(List.of(NetlinkOp.fdbReplace(p.fdb().get(0))), plan.peers().get(0).fdb());
  }

  @Test
  void wrongObjectsAreReplaced() {
    PeerObjects p = peer("10.244.2.0", M2, "192.0.2.2");
    Route wrongGw = Route.via(ip("10.244.2.0"), 24, ip("10.244.2.7"), DEV).onlink();
    Neigh wrongMac = Neigh.permanent(DEV, ip("10.244.2.0"), M9);
    Neigh notPermanent = new Neigh(DEV, ip("10.244.2.0"), M2, Neigh.NUD_REACHABLE, 0);
    ReconcilePlan plan = ReconcilePlanner.plan(Map.of("p2", p), new OwnedObjects(List.of(wrongGw), List.of(wrongMac), p.fdb()));
    assertEquals(List.of(NetlinkOp.routeReplace(p.routes().get(0))), plan.peers().get(0).routes());
    assertEquals(List.of(NetlinkOp.neighReplace(p.neighs().get(0))), plan.peers().get(0).neighs());
    assertTrue(plan.deletes().isEmpty(), "a replaced slot is not also deleted");
    plan = ReconcilePlanner.plan(Map.of("p2", p), new OwnedObjects(p.routes(), List.of(notPermanent), p.fdb()));
    assertEquals(1, plan.size());
  }

  @Test
  void staleObjectsAreDeletedRoutesFirst() {
    PeerObjects keep = peer("10.244.2.0", M2, "192.0.2.2");
    PeerObjects gone = peer("10.244.9.0", M9, "192.0.2.9");
    ReconcilePlan plan = ReconcilePlanner.plan(Map.of("p2", keep), kernel(keep, gone));
    assertTrue(plan.peers().isEmpty());
    assertEquals(List.of(NetlinkOp.routeDelete(gone.routes().get(0)), NetlinkOp.fdbDelete(gone.fdb().get(0)),
        NetlinkOp.neighDelete(gone.neighs().get(0))), plan.deletes());
  }

  @Test
  void changedVtepMacReplacesAndDeletesTheOldFdbEntry() {
    PeerObjects before = peer("10.244.2.0", M2, "192.0.2.2");
    PeerObjects after = peer("10.244.2.0", M9, "192.0.2.2");
    ReconcilePlan plan = ReconcilePlanner.plan(Map.of("p2", after), kernel(before));
    var s = plan.peers().get(0);
    assertEquals(List.of(NetlinkOp.neighReplace(after.neighs().get(0))), s.neighs());
    assertEquals(List.of(NetlinkOp.fdbReplace(after.fdb().get(0))), s.fdb());
    assertTrue(s.routes().isEmpty(), "the route does not change");
    assertEquals(List.of(NetlinkOp.fdbDelete(before.fdb().get(0))), plan.deletes());
  }

  @Test
  void peersAreProgrammedInTheGivenOrder() {
    Map<String, PeerObjects> want = new LinkedHashMap<>();
    want.put("b", peer("10.244.3.0", M9, "192.0.2.3"));
    want.put("a", peer("10.244.2.0", M2, "192.0.2.2"));
    assertEquals(List.of("b", "a"), ReconcilePlanner.plan(want, OwnedObjects.EMPTY).peers().stream()
        .map(ReconcilePlan.PeerSteps::peer).toList());
  }
}
