package io.jflannel.backend;

import static io.jflannel.backend.Leases.vxlan;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import io.jflannel.netlink.Errno;
import io.jflannel.netlink.NetlinkEvent;
import io.jflannel.subnet.IpNet;
import io.jflannel.subnet.Lease;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ReconcilingNetworkTest {
  final FakeNetlink nl = new FakeNetlink();
  final RecordingListener listener = new RecordingListener();
  final IpNet network = IpNet.parse("10.244.0.0/16");
  final Lease own = vxlan("10.244.1.0/24", "192.0.2.1", "2a:00:00:00:00:01");
  final Lease p2 = vxlan("10.244.2.0/24", "192.0.2.2", "2a:00:00:00:00:02");
  final Lease p3 = vxlan("10.244.3.0/24", "192.0.2.3", "2a:00:00:00:00:03");
  final TestDataplane dp = new TestDataplane(nl, network);
  final ReconcilingNetwork net = new ReconcilingNetwork(
      new BackendContext(nl, ExternalInterface.ipv4("eth0", 2, Leases.ip("192.0.2.1"), 1500),
          new InMemorySubnetManager(null, own.subnet(), null), listener, Duration.ofMillis(200)),
      own, 1450, new PeerValidator(network, own.subnet(), "vxlan", dp.peerCheck()), dp);

  @AfterEach
  void close() {
    net.close();
  }

  static void await(String what, BooleanSupplier cond) throws InterruptedException {
    long end = System.nanoTime() + Duration.ofSeconds(2).toNanos();
    while (!cond.getAsBoolean()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(1);
    }
  }

  @Test
  void reconcileProgramsAndRemovesPeers() {
    PeerFeed.reconcile(net, List.of(p2, p3));
    assertEquals(2, nl.routes.size());
    assertEquals(2, listener.peers);
    PeerFeed.reconcile(net, List.of(p3));
    assertEquals(1, nl.routes.size());
    assertEquals(1, nl.neighs.size());
    assertEquals(1, nl.fdb.size());
    assertEquals(1, listener.count("stale.ROUTE"));
    assertEquals(0, listener.count("repaired.ROUTE"), "desired-state changes are not repairs");
  }

  @Test
  void deletedEntriesComeBackFromTheNotification() throws Exception {
    PeerFeed.reconcile(net, List.of(p2, p3));
    net.start();
    var routeKey = nl.routes.keySet().iterator().next();
    nl.externalDelete(routeKey);
    // the EVENT resync counted below shows the notification brought it back, not the periodic pass
    await("route restored", () -> nl.routes.containsKey(routeKey));
    await("repair counted", () -> listener.count("repaired.ROUTE") == 1);
    assertEquals(1, listener.count("resync.EVENT"));
  }

  @Test
  void ownWritesDoNotTriggerPasses() throws Exception {
    net.start();
    PeerFeed.reconcile(net, List.of(p2, p3));
    PeerFeed.reconcile(net, List.of(p3));
    PeerFeed.reconcile(net, List.of(p2, vxlan("10.244.3.0/24", "192.0.2.3", "2a:00:00:00:00:33")));
    Thread.sleep(100);
    assertEquals(0, listener.count("resync.EVENT"));
  }

  @Test
  void burstsAreCoalesced() throws Exception {
    // A debounce wide enough that the six deletions below land in it even on a loaded machine.
    ReconcilingNetwork net = new ReconcilingNetwork(
        new BackendContext(nl, ExternalInterface.ipv4("eth0", 2, Leases.ip("192.0.2.1"), 1500),
            new InMemorySubnetManager(null, own.subnet(), null), listener, Duration.ofSeconds(60)),
        own, 1450, new PeerValidator(network, own.subnet(), "vxlan", dp.peerCheck()), dp, Duration.ofMillis(300));
    try {
      coalesce(net);
    } finally {
      net.close();
    }
  }

  private void coalesce(ReconcilingNetwork net) throws Exception {
    PeerFeed.reconcile(net, List.of(p2, p3));
    net.start();
    List<Object> keys = new java.util.ArrayList<>();
    keys.addAll(nl.routes.keySet());
    keys.addAll(nl.neighs.keySet());
    keys.addAll(nl.fdb.keySet());
    keys.forEach(nl::externalDelete);
    await("all restored", () -> nl.routes.size() == 2 && nl.neighs.size() == 2 && nl.fdb.size() == 2);
    Thread.sleep(50);
    assertTrue(listener.count("resync.EVENT") <= 2, "passes: " + listener.count("resync.EVENT"));
  }

  @Test
  void overrunForcesResyncAndPeriodicResyncRepairsSilently() throws Exception {
    PeerFeed.reconcile(net, List.of(p2));
    net.start();
    // Lost without a notification: only a resync can find it.
    synchronized (nl) {
      nl.routes.clear();
    }
    nl.sink.accept(new NetlinkEvent.Overrun());
    await("overrun resync", () -> listener.count("resync.OVERRUN") == 1 && nl.routes.size() == 1);
    synchronized (nl) {
      nl.neighs.clear();
    }
    await("periodic resync", () -> listener.count("resync.PERIODIC") >= 1 && nl.neighs.size() == 1);
  }

  @Test
  void nothingIsDeletedBeforeTheFirstReconcile() throws Exception {
    // Entries of the previous run, before the watcher delivered its first snapshot.
    PeerObjects left = dp.map(p2);
    nl.apply(List.of(io.jflannel.netlink.NetlinkOp.neighReplace(left.neighs().get(0)),
        io.jflannel.netlink.NetlinkOp.fdbReplace(left.fdb().get(0)),
        io.jflannel.netlink.NetlinkOp.routeReplace(left.routes().get(0))));
    net.start();
    nl.sink.accept(new NetlinkEvent.Overrun());
    nl.routeReplace(io.jflannel.netlink.Route.via(Leases.ip("10.244.9.0"), 24, Leases.ip("10.244.9.0"), TestDataplane.DEV));
    net.resyncNow();
    Thread.sleep(300); // periodic resync is 200 ms
    assertEquals(2, nl.routes.size(), "nothing deleted");
    assertEquals(0, listener.count("resync.OVERRUN") + listener.count("resync.PERIODIC") + listener.count("resync.EVENT"));
    PeerFeed.reconcile(net, List.of(p2));
    assertEquals(1, nl.routes.size(), "the first reconcile removes the stray route");
  }

  @Test
  void closeLeavesTheDataplaneAndIgnoresLateReconciles() {
    PeerFeed.reconcile(net, List.of(p2, p3));
    net.start();
    net.close();
    PeerFeed.reconcile(net, List.of());
    assertEquals(2, nl.routes.size());
    assertEquals(2, nl.neighs.size());
    assertEquals(2, nl.fdb.size());
    assertTrue(nl.sink == null, "subscription closed");
  }

  @Test
  void aDeadSubscriptionIsRenewedByThePeriodicPass() throws Exception {
    PeerFeed.reconcile(net, List.of(p2));
    net.start();
    nl.sink = null; // the notification socket died
    await("resubscribed", () -> nl.sink != null);
    var key = nl.routes.keySet().iterator().next();
    nl.externalDelete(key);
    await("event-driven repair works again", () -> nl.routes.containsKey(key));
  }

  @Test
  void strayOwnedEntryIsRemovedAndForeignOnesStay() throws Exception {
    PeerFeed.reconcile(net, List.of(p2));
    net.start();
    var stray = io.jflannel.netlink.Route.via(Leases.ip("10.244.9.0"), 24, Leases.ip("10.244.9.0"), TestDataplane.DEV);
    var foreign = io.jflannel.netlink.Route.via(Leases.ip("172.16.0.0"), 24, Leases.ip("10.244.9.0"), TestDataplane.DEV);
    nl.routeReplace(foreign);
    nl.routeReplace(stray);
    await("stray removed", () -> !nl.routes.containsKey(ObjectKeys.key(stray)));
    assertTrue(nl.routes.containsKey(ObjectKeys.key(foreign)));
  }

  @Test
  void rejectedPeersAreReportedOnceAndNeverProgrammed() {
    Lease hostile = vxlan("10.244.1.0/24", "192.0.2.9", "2a:00:00:00:00:09");
    PeerFeed.reconcile(net, List.of(p2, hostile));
    PeerFeed.reconcile(net, List.of(p2, hostile));
    assertEquals(1, listener.count("rejected.SUBNET_OVERLAPS_OWN"));
    assertEquals(1, nl.routes.size());
    assertEquals(java.util.Set.of(p2.key()), net.acceptedPeers());
    assertEquals(RejectReason.SUBNET_OVERLAPS_OWN, net.rejectedPeers().get(hostile.key()).reason());
  }

  @Test
  void reconcileAfterACleanPassDiffsAgainstItInsteadOfDumping() {
    PeerFeed.reconcile(net, List.of(p2));
    int dumps = dp.dumps.get();
    assertEquals(1, dumps, "the first pass reads the kernel");
    PeerFeed.reconcile(net, List.of(p2, p3));
    PeerFeed.reconcile(net, List.of(p3));
    assertEquals(dumps, dp.dumps.get(), "peer changes after a clean pass need no dump");
    assertEquals(1, nl.routes.size());
    assertEquals(1, nl.neighs.size());
    assertEquals(1, nl.fdb.size());
    net.resyncNow();
    assertEquals(dumps + 1, dp.dumps.get(), "a resync always reads the kernel");
  }

  @Test
  void aChangedLeaseIsReprogrammedFromItsOldObjects() {
    PeerFeed.reconcile(net, List.of(p2, p3));
    Lease moved = vxlan("10.244.3.0/24", "192.0.2.33", "2a:00:00:00:00:33");
    PeerFeed.reconcile(net, List.of(p2, moved));
    assertEquals(1, dp.dumps.get());
    assertEquals(2, nl.routes.size());
    assertEquals(2, nl.neighs.size());
    assertEquals(2, nl.fdb.size(), "the old VTEP MAC's FDB entry is gone, the new one is there");
    assertTrue(nl.fdb.values().stream().anyMatch(f -> f.mac().toString().equals("2a:00:00:00:00:33")), nl.fdb.toString());
    assertTrue(nl.fdb.values().stream().noneMatch(f -> f.mac().toString().equals("2a:00:00:00:00:03")), nl.fdb.toString());
    net.resyncNow();
    assertEquals(0, listener.count("repaired.FDB") + listener.count("repaired.NEIGH") + listener.count("repaired.ROUTE"),
        "a full resync finds the kernel exactly as the incremental passes left it");
  }

  @Test
  void aPassWithErrorsMakesTheNextReconcileReadTheKernel() {
    nl.failWith = op -> op instanceof io.jflannel.netlink.NetlinkOp.RouteReplace ? 101 : 0;
    PeerFeed.reconcile(net, List.of(p2));
    nl.failWith = op -> 0;
    int dumps = dp.dumps.get();
    PeerFeed.reconcile(net, List.of(p2, p3));
    assertEquals(dumps + 1, dp.dumps.get(), "after a failed pass the kernel state is unknown");
    assertEquals(2, nl.routes.size());
  }

  @Test
  void failuresAreCountedAndRetried() throws Exception {
    nl.failWith = op -> op instanceof io.jflannel.netlink.NetlinkOp.RouteReplace ? 101 : 0;
    net.start();
    PeerFeed.reconcile(net, List.of(p2));
    assertEquals(1, listener.count("error.ENETUNREACH"));
    assertTrue(nl.routes.isEmpty() && nl.neighs.isEmpty() && nl.fdb.isEmpty(), "undone");
    nl.failWith = op -> 0;
    await("retry programs the peer", () -> nl.routes.size() == 1);
    await("retry counted", () -> listener.count("resync.RETRY") + listener.count("resync.PERIODIC") >= 1);
    assertEquals(1, listener.count("error.ENETUNREACH"), "no fast retry loop from the undo notifications");
  }

  @Test
  void deviceEventsTriggerADevicePass() throws Exception {
    PeerFeed.reconcile(net, List.of(p2));
    net.start();
    dp.deviceBroken = true;
    nl.sink.accept(new NetlinkEvent.LinkDeleted(new io.jflannel.netlink.Link(TestDataplane.DEV, "flannel.1", "vxlan",
        1450, null, 0, false, 0, null)));
    await("device pass", () -> listener.count("resync.DEVICE") == 1 && listener.count("repaired.DEVICE") == 1);
  }

  @Test
  void aReconcileSendsOnlyTheChangedPeersRequests() {
    List<Lease> many = new java.util.ArrayList<>();
    for (int i = 0; i < 200; i++) {
      many.add(vxlan("10.244." + (10 + i) + ".0/24", "192.0.2." + (10 + i), String.format("2a:00:00:00:01:%02x", i)));
    }
    PeerFeed.reconcile(net, many);
    assertEquals(200, nl.routes.size());
    int before = nl.requestCount();
    List<Lease> plusOne = new java.util.ArrayList<>(many);
    plusOne.add(p2);
    PeerFeed.reconcile(net, plusOne);
    assertEquals(3, nl.requestCount() - before, "one neighbour, one FDB entry, one route");
    before = nl.requestCount();
    PeerFeed.reconcile(net, plusOne);
    assertEquals(0, nl.requestCount() - before, "an unchanged set sends nothing");
    java.util.Map<String, Lease> keyed = new java.util.LinkedHashMap<>();
    many.forEach(l -> keyed.put(l.key(), l));
    PeerFeed.reconcile(net, keyed);
    assertEquals(3, nl.requestCount() - before, "the keyed form removes p2 alone");
    assertEquals(200, nl.routes.size());
    assertEquals(1, dp.dumps.get(), "none of these passes read the kernel");
  }

  @Test
  void aPeerRefusedForAnOverlapIsProgrammedOnceTheHolderLeaves() {
    Lease wide = vxlan("10.244.2.0/23", "192.0.2.7", "2a:00:00:00:00:07");
    PeerFeed.reconcile(net, List.of(wide));
    PeerFeed.reconcile(net, List.of(wide, p2, p3));
    assertEquals(java.util.Set.of(wide.key()), net.acceptedPeers());
    assertEquals(2, listener.count("rejected.SUBNET_OVERLAPS_PEER"));
    PeerFeed.reconcile(net, List.of(p2, p3));
    assertEquals(java.util.Set.of(p2.key(), p3.key()), net.acceptedPeers());
    assertEquals(2, nl.routes.size());
    assertTrue(net.rejectedPeers().isEmpty());
    net.resyncNow();
    assertEquals(0, listener.count("repaired.FDB") + listener.count("repaired.NEIGH") + listener.count("repaired.ROUTE"),
        "the incremental passes left the kernel exactly as a full pass wants it");
  }

  // ---- the peer seam: a store's PeerSet drained into reconcile -----------------------------

  private List<Lease> peers(int n) {
    List<Lease> out = new java.util.ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(vxlan("10.244." + (10 + i) + ".0/24", "192.0.2." + (10 + i), String.format("2a:00:00:00:01:%02x", i)));
    }
    return out;
  }

  @Test
  void aBurstOfChangesIsOnePassTouchingOnlyThoseKeys() {
    io.jflannel.subnet.PeerSet set = new io.jflannel.subnet.PeerSet();
    List<Lease> all = peers(100);
    set.reset(all);
    net.reconcile(set.drain());
    assertEquals(100, nl.routes.size());
    int dumps = dp.dumps.get();
    int before = nl.requestCount();
    for (int i = 0; i < 5; i++) { // five peers change their VTEP, each twice
      Lease l = all.get(i * 10);
      set.put(vxlan(l.subnet().toString(), "192.0.2.200", String.format("2a:00:00:00:02:%02x", i)));
      set.put(vxlan(l.subnet().toString(), l.attrs().publicIp().getHostAddress(),
          String.format("2a:00:00:00:03:%02x", i)));
    }
    io.jflannel.subnet.PeerChanges burst = set.drain();
    assertEquals(5, burst.changed().size());
    net.reconcile(burst);
    // per changed peer: neighbour and FDB entry replaced, the old FDB entry deleted
    assertEquals(15, nl.requestCount() - before, "only the five changed peers were written");
    assertEquals(dumps, dp.dumps.get(), "an incremental pass does not read the kernel");
    assertEquals(100, nl.routes.size());
  }

  @Test
  void aRelistIsAFullPass() {
    io.jflannel.subnet.PeerSet set = new io.jflannel.subnet.PeerSet();
    List<Lease> all = peers(20);
    set.reset(all);
    net.reconcile(set.drain());
    int dumps = dp.dumps.get();
    nl.routes.clear(); // drift nobody reported
    set.reset(all.subList(0, 19)); // the re-list finds one peer gone
    io.jflannel.subnet.PeerChanges relist = set.drain();
    assertTrue(relist.full());
    net.reconcile(relist);
    assertEquals(dumps + 1, dp.dumps.get(), "a re-list compares everything with the kernel");
    assertEquals(19, nl.routes.size(), "the full pass restored the drifted routes too");
  }

  @Test
  void aRemovedPeerIsRemovedOnce() {
    io.jflannel.subnet.PeerSet set = new io.jflannel.subnet.PeerSet();
    set.reset(List.of(p2, p3));
    net.reconcile(set.drain());
    set.remove(p2.key());
    set.remove(p2.key());
    int before = nl.requestCount();
    net.reconcile(set.drain());
    assertEquals(3, nl.requestCount() - before, "its route, neighbour and FDB entry, once");
    before = nl.requestCount();
    net.reconcile(set.drain());
    assertEquals(0, nl.requestCount() - before);
    assertEquals(1, listener.count("stale.ROUTE"));
  }

  // ---- a peer the kernel refuses; the external interface back up; facts that change --------

  /** A network whose retries back off from 20 ms (instead of 1 s), so a test sees several. */
  private ReconcilingNetwork fastRetries(Duration first, Duration max) {
    return new ReconcilingNetwork(
        new BackendContext(nl, ExternalInterface.ipv4("eth0", 2, Leases.ip("192.0.2.1"), 1500),
            new InMemorySubnetManager(null, own.subnet(), null), listener, Duration.ofSeconds(600)),
        own, 1450, new PeerValidator(network, own.subnet(), "vxlan", dp.peerCheck()), dp,
        ReconcilingNetwork.DEFAULT_DEBOUNCE, new Backoff(first, max));
  }

  /** The most retries a backoff starting at {@code first} and doubling allows in {@code elapsed}. */
  private static int maxRetries(Duration first, long elapsedNanos) {
    int n = 0;
    long due = first.toNanos();
    for (long d = first.toNanos(); due <= elapsedNanos; d *= 2, due += d) {
      n++;
    }
    return n + 1;
  }

  private static boolean routeTo(io.jflannel.netlink.NetlinkOp op, String dst) {
    return op instanceof io.jflannel.netlink.NetlinkOp.RouteReplace r && r.route().dst().getHostAddress().equals(dst);
  }

  @Test
  void aPeerTheKernelRefusesIsLoggedOnceRetriedWithBackoffAndReportedWhenItRecovers() throws Exception {
    Duration first = Duration.ofMillis(20);
    try (LogCapture log = LogCapture.of(ReconcilingNetwork.class);
         ReconcilingNetwork n = fastRetries(first, Duration.ofSeconds(30))) {
      nl.failWith = op -> routeTo(op, "10.244.3.0") ? Errno.EINVAL : 0;
      n.start();
      long t0 = System.nanoTime();
      PeerFeed.reconcile(n, List.of(p2, p3));
      assertEquals(1, nl.routes.size(), "the good peer is programmed at once");
      assertEquals(1, nl.neighs.size(), "the refused peer's neighbour was undone");
      assertEquals(1, listener.failing);
      assertEquals(Set.of(p3.key()), n.failingPeers().keySet());
      await("retries", () -> listener.count("resync.RETRY") >= 4);
      long elapsed = System.nanoTime() - t0;
      int retries = listener.count("resync.RETRY");
      assertTrue(retries <= maxRetries(first, elapsed),
          retries + " retries in " + elapsed / 1_000_000 + " ms: not backing off");
      assertEquals(1, log.lines(Level.WARN, "peer " + p3.key() + " not programmed").size(), log.all());
      assertTrue(log.lines(Level.WARN, "EINVAL").size() == 1, log.all());
      // A new peer is programmed at once, whatever the backoff of the failing one.
      Lease p4 = vxlan("10.244.4.0/24", "192.0.2.4", "2a:00:00:00:00:04");
      PeerFeed.reconcile(n, List.of(p2, p3, p4));
      assertEquals(2, nl.routes.size());
      assertEquals(1, listener.failing);
      nl.failWith = op -> 0;
      await("recovered", () -> nl.routes.size() == 3 && listener.failing == 0);
      assertEquals(1, log.lines(Level.INFO, "peer " + p3.key() + " programmed after").size(), log.all());
      assertEquals(1, log.lines(Level.WARN, "not programmed").size(), log.all());
      assertTrue(n.failingPeers().isEmpty());
      int settled = listener.count("resync.RETRY");
      Thread.sleep(200);
      assertEquals(settled, listener.count("resync.RETRY"), "no retries once every peer is in");
    }
  }

  @Test
  void aFailingPeerThatLeavesIsForgottenSilently() throws Exception {
    try (LogCapture log = LogCapture.of(ReconcilingNetwork.class)) {
      nl.failWith = op -> routeTo(op, "10.244.3.0") ? Errno.EINVAL : 0;
      PeerFeed.reconcile(net, List.of(p2, p3));
      assertEquals(1, listener.failing);
      PeerFeed.reconcile(net, List.of(p2));
      assertEquals(0, listener.failing);
      assertTrue(net.failingPeers().isEmpty());
      assertEquals(0, log.lines(Level.INFO, "programmed after").size(), log.all());
    }
  }

  @Test
  void aPassThatFailsAsAWholeIsLoggedOncePerErrorAndBacksOff() throws Exception {
    Duration first = Duration.ofMillis(20);
    try (LogCapture log = LogCapture.of(ReconcilingNetwork.class);
         ReconcilingNetwork n = fastRetries(first, Duration.ofSeconds(30))) {
      PeerFeed.reconcile(n, List.of(p2));
      n.start();
      dp.prepareFails = new io.jflannel.netlink.NetlinkException("link add flannel.1 type vxlan id 1 dev #3",
          Errno.ENODEV, null);
      long t0 = System.nanoTime();
      n.resyncNow();
      await("retries", () -> listener.count("error.ENODEV") >= 4);
      long elapsed = System.nanoTime() - t0;
      int retries = listener.count("error.ENODEV") - 1;
      assertTrue(retries <= maxRetries(first, elapsed), retries + " retries in " + elapsed / 1_000_000 + " ms");
      assertEquals(1, log.lines(Level.WARN, "ENODEV").size(), log.all());
      dp.prepareFails = null;
      await("a pass gets through", () -> log.lines(Level.INFO, "succeeded after").size() == 1);
      assertEquals(1, log.lines(Level.WARN, "ENODEV").size(), log.all());
    }
  }

  @Test
  void theExternalInterfaceComingBackUpTriggersAFullPass() throws Exception {
    PeerFeed.reconcile(net, List.of(p2, p3));
    net.start();
    synchronized (nl) {
      nl.routes.clear(); // the kernel drops them with the link, without a notification each
    }
    nl.sink.accept(new NetlinkEvent.LinkChanged(new io.jflannel.netlink.Link(TestDataplane.EXT, "eth0", "veth", 1500,
        null, io.jflannel.netlink.Link.IFF_UP, true, 0, null)));
    await("routes back", () -> nl.routes.size() == 2);
    await("counted", () -> listener.count("resync.LINK") == 1 && listener.count("repaired.ROUTE") == 2);
  }

  @Test
  void changedFactsJudgeEveryPeerAgain() throws Exception {
    PeerFeed.reconcile(net, List.of(p2, p3));
    dp.refusedIps.add("192.0.2.3");
    net.resyncNow();
    assertEquals(2, nl.routes.size(), "facts unchanged: no peer is judged again");
    dp.factsChange = true;
    net.resyncNow();
    assertEquals(Set.of(p2.key()), net.acceptedPeers());
    assertEquals(1, nl.routes.size());
    assertEquals(1, nl.fdb.size());
    assertEquals(1, listener.count("rejected.PUBLIC_IP_INVALID"));
    dp.refusedIps.clear();
    dp.factsChange = true;
    net.resyncNow();
    assertEquals(Set.of(p2.key(), p3.key()), net.acceptedPeers());
    assertEquals(2, nl.routes.size());
  }
}
