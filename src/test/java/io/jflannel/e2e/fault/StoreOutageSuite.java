package io.jflannel.e2e.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jflannel.lab.LabBackend;
import io.jflannel.lab.LabCluster;
import io.jflannel.lab.LabNode;
import io.jflannel.lab.LabStoreKind;
import io.jflannel.lab.PingSession;
import io.jflannel.lab.Pod;
import io.jflannel.lab.Reachability;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Store faults (issue 7 part 1) on a three-node vxlan lab: the store becomes unreachable for
 * {@link FaultSupport#outage()} while pods ping across nodes. Nothing may be lost or removed
 * from the kernel, reconnects must back off (connection attempts are counted on the switch),
 * and changes made during the outage must reach the daemons afterwards.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
abstract class StoreOutageSuite {
  /** Time for every daemon to catch up once the store is back (reconnect backoff included). */
  static final Duration CATCH_UP = Duration.ofSeconds(60);
  /** Average connection attempts per second of outage that still count as "backing off". */
  static final double MAX_CONNECTS_PER_SECOND = 2.0;

  LabCluster lab;

  abstract LabStoreKind store();

  abstract int storePort();

  /** How long the store stays cut off in the partition test. */
  Duration partitionOutage() {
    return FaultSupport.outage();
  }

  @BeforeAll
  void up() {
    lab = FaultSupport.up(store() == LabStoreKind.ETCD ? "etcd" : "kube", 3, 1, LabBackend.VXLAN,
        store(), "10.244.0.0/16", List.of());
    for (LabNode n : lab.nodes()) {
      FaultSupport.addSynCounter(lab, n, storePort());
    }
    lab.awaitConverged(Duration.ofSeconds(30));
  }

  @AfterAll
  void down() {
    if (lab != null) {
      lab.close();
    }
  }

  /** Continuous pings from each listed node's pod to the next node's pod (cyclically). */
  List<PingSession> pingAcross(List<LabNode> nodes) {
    List<PingSession> pings = new ArrayList<>();
    for (int i = 0; i < nodes.size(); i++) {
      Pod from = lab.pods(nodes.get(i)).get(0);
      Pod to = lab.pods(nodes.get((i + 1) % nodes.size())).get(0);
      pings.add(PingSession.start(from, to, 100));
    }
    return pings;
  }

  static void assertNoLoss(List<PingSession> pings, Duration outage, String what) {
    for (PingSession p : pings) {
      Reachability.PingStats s = p.stop();
      System.out.printf("%s: %d of %d pings lost%n", what, s.lost(), s.sent());
      assertTrue(s.sent() >= outage.toSeconds() * 8, "ping ran through the outage: " + s);
      assertEquals(0, s.lost(), what + ": pings lost " + s);
    }
  }

  Map<LabNode, Long> synCounts(List<LabNode> nodes) {
    Map<LabNode, Long> m = new LinkedHashMap<>();
    for (LabNode n : nodes) {
      m.put(n, FaultSupport.synCount(lab, n, storePort()));
    }
    return m;
  }

  /** Asserts every node tried to reconnect, but boundedly, during {@code outage}. */
  void assertBoundedReconnects(Map<LabNode, Long> before, Map<LabNode, Long> after,
      Duration outage, String what) {
    long bound = Math.max(5, Math.round(outage.toSeconds() * MAX_CONNECTS_PER_SECOND));
    for (LabNode n : before.keySet()) {
      long attempts = after.get(n) - before.get(n);
      System.out.printf("%s: %s made %d connection attempts to port %d in %d s (bound %d)%n",
          what, n.name(), attempts, storePort(), outage.toSeconds(), bound);
      assertTrue(attempts <= bound, what + ": " + n.name() + " made " + attempts
          + " connection attempts in " + outage.toSeconds() + " s, more than " + bound
          + " (a tight retry loop)");
    }
  }

  /**
   * The store is unreachable for the first two nodes (connections reset, new ones refused)
   * while the third node leaves the cluster and a new one joins; the cut-off daemons keep
   * their kernel exactly as it was and pods keep talking, then they catch up.
   */
  @Test
  @Order(10)
  void storeUnreachableKeepsDataplaneAndCatchesUpAfterwards() {
    List<LabNode> cutOff = lab.nodes().subList(0, 2);
    LabNode leaving = lab.nodes().get(2);
    Duration outage = partitionOutage();
    Map<LabNode, String> kernel = new LinkedHashMap<>();
    cutOff.forEach(n -> kernel.put(n, FaultSupport.kernelDump(lab, n)));
    List<PingSession> pings = pingAcross(cutOff);
    FaultSupport.sleep(500);
    Map<LabNode, Long> syn0 = synCounts(cutOff);
    long t0 = System.nanoTime();
    cutOff.forEach(n -> FaultSupport.cut(lab, n, storePort()));
    try {
      lab.removeNode(leaving);
      LabNode joined = lab.addNode();
      System.out.println("during the outage: removed " + leaving.name() + ", added "
          + joined.name() + " (" + lab.subnet(joined) + ")");
      long left = outage.toMillis() - (System.nanoTime() - t0) / 1_000_000;
      FaultSupport.sleep(Math.max(0, left));
      for (LabNode n : cutOff) {
        assertTrue(lab.daemon(n).running(), n.name() + "'s daemon survives the outage\n"
            + lab.daemon(n).logTail(20));
        assertEquals(kernel.get(n), FaultSupport.kernelDump(lab, n),
            n.name() + ": the kernel did not change while the store was unreachable");
      }
    } finally {
      cutOff.forEach(n -> FaultSupport.heal(lab, n, storePort()));
    }
    Duration lasted = Duration.ofNanos(System.nanoTime() - t0);
    Map<LabNode, Long> syn1 = synCounts(cutOff);
    long h0 = System.nanoTime();
    lab.awaitConverged(CATCH_UP);
    Duration catchUp = Duration.ofNanos(System.nanoTime() - h0);
    System.out.printf("%s unreachable for %d s: caught up %d ms after the store came back%n",
        store(), lasted.toSeconds(), catchUp.toMillis());
    assertNoLoss(pings, outage, store() + " unreachable");
    assertBoundedReconnects(syn0, syn1, lasted, store() + " unreachable");
    assertTrue(lab.reachability().allReachable(), lab.reachability().render());
  }
}
