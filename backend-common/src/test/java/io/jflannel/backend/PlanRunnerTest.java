package io.jflannel.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jflannel.backend.BackendListener.ObjectKind;
import io.jflannel.netlink.NetlinkOp;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PlanRunnerTest {
  private static Map<String, PeerObjects> peers(int n) {
    Map<String, PeerObjects> m = new LinkedHashMap<>();
    for (int i = 2; i < 2 + n; i++) {
      m.put("p" + i, ReconcilePlannerTest.peer("10.244." + i + ".0",
          io.jflannel.netlink.MacAddress.parse(String.format("2a:00:00:00:01:%02x", i)), "192.0.2." + i));
    }
    return m;
  }

  @Test
  void manyPeersTakeThreeBatches() throws Exception {
    FakeNetlink nl = new FakeNetlink();
    ReconcilePlan plan = ReconcilePlanner.plan(peers(200), OwnedObjects.EMPTY);
    PlanRunner.Outcome out = PlanRunner.run(nl, plan);
    assertEquals(3, nl.batches.size(), "one pipelined batch per step");
    assertTrue(nl.batches.get(0).stream().allMatch(op -> op instanceof NetlinkOp.NeighReplace));
    assertTrue(nl.batches.get(1).stream().allMatch(op -> op instanceof NetlinkOp.FdbReplace));
    assertTrue(nl.batches.get(2).stream().allMatch(op -> op instanceof NetlinkOp.RouteReplace));
    assertEquals(600, out.requests());
    assertEquals(Map.of(ObjectKind.NEIGH, 200, ObjectKind.FDB, 200, ObjectKind.ROUTE, 200), out.added());
    assertEquals(200, nl.routes.size());
  }

  @Test
  void aFailedStepUndoesThatPeerOnlyAndSkipsItsLaterSteps() throws Exception {
    FakeNetlink nl = new FakeNetlink();
    Map<String, PeerObjects> want = peers(3);
    PeerObjects bad = want.get("p3");
    nl.failWith = op -> op.equals(NetlinkOp.fdbReplace(bad.fdb().get(0))) ? 22 : 0;
    PlanRunner.Outcome out = PlanRunner.run(nl, ReconcilePlanner.plan(want, OwnedObjects.EMPTY));
    assertEquals(List.of("p3"), List.copyOf(out.failedPeers().keySet()));
    assertEquals("EINVAL", out.failedPeers().get("p3").errnoName());
    assertTrue(nl.batches.get(2).stream().noneMatch(op -> op.equals(NetlinkOp.routeReplace(bad.routes().get(0)))),
        "no route for the failed peer");
    assertEquals(List.of(NetlinkOp.neighDelete(bad.neighs().get(0))), nl.batches.get(3), "undo batch");
    assertEquals(2, nl.routes.size());
    assertEquals(2, nl.neighs.size(), "p3's neighbour was undone");
    assertEquals(2, nl.fdb.size());
    assertEquals(Map.of(ObjectKind.NEIGH, 2, ObjectKind.FDB, 2, ObjectKind.ROUTE, 2), out.added());
  }

  @Test
  void aFailedRouteUndoesFdbThenNeigh() throws Exception {
    FakeNetlink nl = new FakeNetlink();
    Map<String, PeerObjects> want = peers(1);
    PeerObjects p = want.get("p2");
    nl.failWith = op -> op instanceof NetlinkOp.RouteReplace ? 101 : 0;
    PlanRunner.Outcome out = PlanRunner.run(nl, ReconcilePlanner.plan(want, OwnedObjects.EMPTY));
    assertEquals("ENETUNREACH", out.failedPeers().get("p2").errnoName());
    assertEquals(List.of(NetlinkOp.fdbDelete(p.fdb().get(0)), NetlinkOp.neighDelete(p.neighs().get(0))),
        nl.batches.get(3));
    assertTrue(nl.neighs.isEmpty() && nl.fdb.isEmpty() && nl.routes.isEmpty());
  }

  @Test
  void deletingWhatIsAlreadyGoneIsNotAnError() throws Exception {
    FakeNetlink nl = new FakeNetlink();
    PeerObjects ghost = peers(1).get("p2");
    ReconcilePlan plan = ReconcilePlanner.plan(Map.of(), ReconcilePlannerTest.kernel(ghost));
    PlanRunner.Outcome out = PlanRunner.run(nl, plan);
    assertTrue(out.errors().isEmpty(), out.errors().toString());
    assertEquals(3, out.deletedTotal());
  }

  @Test
  void aFailedDeleteIsReported() throws Exception {
    FakeNetlink nl = new FakeNetlink();
    PeerObjects ghost = peers(1).get("p2");
    nl.routes.put(ObjectKeys.key(ghost.routes().get(0)), ghost.routes().get(0));
    nl.failWith = op -> op instanceof NetlinkOp.RouteDelete ? 1 : 0;
    PlanRunner.Outcome out = PlanRunner.run(nl, ReconcilePlanner.plan(Map.of(), ReconcilePlannerTest.kernel(ghost)));
    assertEquals(1, out.errors().size());
    assertEquals("EPERM", out.errors().get(0).errnoName());
    assertEquals(out.errors(), out.staleErrors());
    assertEquals(Map.of(ObjectKind.FDB, 1, ObjectKind.NEIGH, 1), out.deleted());
  }
}
