package io.jflannel.e2e.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jflannel.lab.EtcdStore;
import io.jflannel.lab.LabNode;
import io.jflannel.lab.LabStoreKind;
import io.jflannel.lab.PingSession;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/** Store faults with etcd: etcd stopped, and etcd unreachable for some nodes. */
class EtcdOutageIT extends StoreOutageSuite {
  @Override
  LabStoreKind store() {
    return LabStoreKind.ETCD;
  }

  @Override
  int storePort() {
    return 2379;
  }

  /** The full outage runs with etcd stopped; the partition (changes meanwhile) is half as long. */
  @Override
  Duration partitionOutage() {
    return FaultSupport.outage().dividedBy(2);
  }

  /**
   * etcd itself is stopped for the outage: every daemon loses its store, pods keep talking,
   * no kernel entry goes away, reconnects back off, and a node added after etcd is back
   * reaches every old daemon (their watches recovered).
   */
  @Test
  @Order(1)
  void etcdStoppedKeepsDataplaneAndWatchesRecover() {
    EtcdStore etcd = (EtcdStore) lab.store();
    List<LabNode> nodes = lab.nodes();
    Duration outage = FaultSupport.outage();
    Map<LabNode, String> kernel = new LinkedHashMap<>();
    nodes.forEach(n -> kernel.put(n, FaultSupport.kernelDump(lab, n)));
    List<PingSession> pings = pingAcross(nodes);
    FaultSupport.sleep(500);
    Map<LabNode, Long> syn0 = synCounts(nodes);
    long t0 = System.nanoTime();
    etcd.stop();
    try {
      FaultSupport.sleep(outage.toMillis());
      for (LabNode n : nodes) {
        assertTrue(lab.daemon(n).running(), n.name() + "'s daemon survives etcd being down\n"
            + lab.daemon(n).logTail(20));
        assertEquals(kernel.get(n), FaultSupport.kernelDump(lab, n),
            n.name() + ": the kernel did not change while etcd was down");
      }
    } finally {
      etcd.restart();
    }
    Duration lasted = Duration.ofNanos(System.nanoTime() - t0);
    Map<LabNode, Long> syn1 = synCounts(nodes);
    LabNode joined = lab.addNode();
    long h0 = System.nanoTime();
    lab.awaitConverged(CATCH_UP);
    System.out.printf("etcd down for %d s: %s (added after etcd came back) programmed on every"
        + " node %d ms after its subnet.env%n", lasted.toSeconds(), joined.name(),
        Duration.ofNanos(System.nanoTime() - h0).toMillis());
    assertNoLoss(pings, outage, "etcd stopped");
    assertBoundedReconnects(syn0, syn1, lasted, "etcd stopped");
    for (LabNode n : nodes) {
      assertTrue(syn1.get(n) > syn0.get(n), n.name() + " tried to reconnect to etcd");
    }
  }
}
