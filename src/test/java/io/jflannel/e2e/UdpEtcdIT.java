package io.jflannel.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jflannel.lab.EtcdStore;
import io.jflannel.lab.Exec;
import io.jflannel.lab.LabBackend;
import io.jflannel.lab.LabCluster;
import io.jflannel.lab.LabJanitor;
import io.jflannel.lab.LabNode;
import io.jflannel.lab.LabSpec;
import io.jflannel.lab.LabStoreKind;
import io.jflannel.lab.LabTestSupport;
import io.jflannel.lab.Pod;
import io.jflannel.lab.Reachability;
import io.jflannel.lab.ReachabilityMatrix;
import io.jflannel.lab.Underlay;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * End to end with the udp backend and the etcd store: three nodes running the real flanneld,
 * pods attached with the real CNI plugins, every pod pair reachable through flannel0 and UDP;
 * a capture on the underlay shows the pods' packets as UDP datagrams to port 8285.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class UdpEtcdIT {
  static final Duration CONVERGE = Duration.ofSeconds(30);
  LabCluster lab;

  @BeforeAll
  void up() {
    LabTestSupport.requirePrerequisites(LabStoreKind.ETCD, true);
    LabJanitor.cleanOrphans(LabSpec.STATE_DIR, "jfl-e2e-");
    LabSpec spec = LabTestSupport.spec(LabTestSupport.uniqueName("udp-etcd"), 3, LabBackend.UDP, LabStoreKind.ETCD);
    lab = LabCluster.up(spec, System.out);
    System.out.print(lab.table());
    lab.awaitConverged(CONVERGE);
  }

  @AfterAll
  void down() {
    if (lab != null) {
      lab.close();
    }
  }

  private void assertAllReachable(String when) {
    ReachabilityMatrix m = lab.reachability();
    System.out.println(when + ":\n" + m.render());
    assertTrue(m.allReachable(), when + ": unreachable pairs " + m.failures() + "\n" + m.render());
  }

  @Test
  @Order(0)
  void devicesLeasesAndSubnetFilesAreUpstreams() throws Exception {
    ObjectMapper json = new ObjectMapper();
    for (LabNode n : lab.nodes()) {
      assertEquals(1472, lab.subnetEnv(n).mtu(), n.name() + ": FLANNEL_MTU is the underlay's 1500 - 28");
      String link = Exec.check("ip", "-n", n.netns(), "-d", "link", "show", "dev", "flannel0").stdout();
      assertTrue(link.contains("mtu 1472") && link.contains("tun type tun pi off"), n.name() + ": " + link);
      String subnet = lab.subnet(n);
      String addr = Exec.check("ip", "-n", n.netns(), "-o", "-4", "addr", "show", "dev", "flannel0").stdout();
      assertTrue(addr.contains(" " + subnet.substring(0, subnet.indexOf('/')) + "/32 "), n.name() + ": " + addr);
      String routes = Exec.check("ip", "-n", n.netns(), "route", "show", "dev", "flannel0").stdout().strip();
      assertTrue(routes.startsWith("10.244.0.0/16"), n.name() + ": " + routes);
      JsonNode lease = json.readTree(((EtcdStore) lab.store()).etcdctl("get", "--print-value-only",
          EtcdStore.leaseKey(subnet)).check().stdout());
      // upstream's udp lease: the address only, no BackendType, no BackendData
      assertEquals(n.underlayIp(), lease.path("PublicIP").asText(), lease.toString());
      assertFalse(lease.has("BackendType"), lease.toString());
      assertFalse(lease.has("BackendData"), lease.toString());
    }
  }

  @Test
  @Order(1)
  void everyPodReachesEveryOtherPod() {
    assertEquals(2 * lab.nodes().size(), lab.pods().size());
    assertAllReachable("udp lab");
  }

  /** tcpdump on node 2's underlay interface while a pod of node 1 pings a pod of node 2. */
  @Test
  @Order(2)
  void theUnderlayCarriesThePodsPacketsAsUdpToPort8285() throws Exception {
    LabNode a = lab.nodes().get(0);
    LabNode b = lab.nodes().get(1);
    Pod from = lab.pods(a).get(0);
    Pod to = lab.pods(b).get(0);
    Process dump = new ProcessBuilder(Exec.inNetns(b.netns(), "tcpdump", "-n", "-l", "-c", "4", "-i",
        Underlay.NODE_IFACE, "udp port 8285")).redirectErrorStream(true).start();
    try {
      Thread.sleep(1000); // tcpdump attaches; the capture itself waits for its 4 packets
      Reachability.pingRun(from, to, 4, 200);
      assertTrue(dump.waitFor(30, TimeUnit.SECONDS), "tcpdump saw fewer than 4 datagrams on port 8285");
      String out = new String(dump.getInputStream().readAllBytes());
      System.out.println(out);
      assertTrue(out.contains(a.underlayIp() + ".8285 > " + b.underlayIp() + ".8285: UDP"), out);
      assertTrue(out.contains(b.underlayIp() + ".8285 > " + a.underlayIp() + ".8285: UDP"), out);
    } finally {
      dump.destroyForcibly();
      dump.waitFor();
    }
  }

  @Test
  @Order(3)
  void addedAndRemovedNodesAreFollowed() {
    LabNode added = lab.addNode();
    lab.awaitConverged(CONVERGE);
    assertAllReachable("after adding " + added.name());
    String subnet = lab.subnet(added);
    lab.removeNode(added);
    lab.awaitConverged(CONVERGE);
    assertFalse(lab.store().subnets().contains(subnet), "store forgot " + subnet);
    assertAllReachable("after removing " + added.name());
  }
}
