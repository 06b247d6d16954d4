package io.jflannel.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jflannel.lab.EtcdStore;
import io.jflannel.lab.Exec;
import io.jflannel.lab.KubeStore;
import io.jflannel.lab.LabBackend;
import io.jflannel.lab.LabCluster;
import io.jflannel.lab.LabJanitor;
import io.jflannel.lab.LabNode;
import io.jflannel.lab.LabSpec;
import io.jflannel.lab.LabStoreKind;
import io.jflannel.lab.LabTestSupport;
import io.jflannel.lab.PeerDataplane;
import io.jflannel.lab.PingSession;
import io.jflannel.lab.Pod;
import io.jflannel.lab.Reachability;
import io.jflannel.lab.ReachabilityMatrix;
import io.jflannel.lab.SubnetEnv;
import io.jflannel.lab.Underlay;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * End to end: three nodes as network namespaces, each running the real flanneld, a real store,
 * pods attached with the real CNI plugins; one lab shared by the tests of a backend × store
 * class. Every test leaves the lab converged, so the order is for readable logs only.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
abstract class FlannelE2eSuite {
  /** Time for every daemon to program (or remove) a peer. */
  static final Duration CONVERGE = Duration.ofSeconds(30);
  /** Packets a daemon restart may cost (out of one every 100 ms during the restart). */
  static final int MAX_LOST_ON_RESTART = 5;

  LabCluster lab;

  abstract LabBackend backend();

  abstract LabStoreKind store();

  /** Whether every flanneld runs from the container image, as kube-flannel's DaemonSet runs it. */
  boolean fromImage() {
    return false;
  }

  @BeforeAll
  void up() {
    LabTestSupport.requirePrerequisites(store(), !fromImage());
    String image = fromImage() ? LabTestSupport.requireImage() : null;
    LabJanitor.cleanOrphans(LabSpec.STATE_DIR, "jfl-e2e-");
    String tag = (fromImage() ? "img-" : "") + (backend() == LabBackend.VXLAN ? "vx" : "gw") + "-" + store();
    LabSpec spec = LabTestSupport.spec(LabTestSupport.uniqueName(tag), 3, backend(), store());
    lab = LabCluster.up(fromImage() ? spec.withImage(image) : spec, System.out);
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

  private Map<Integer, Long> daemonPids() {
    Map<Integer, Long> pids = new LinkedHashMap<>();
    for (LabNode n : lab.nodes()) {
      pids.put(n.index(), lab.daemon(n).pid());
    }
    return pids;
  }

  private static void sleepMillis(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static boolean flannelIsUp(JsonNode node) {
    for (JsonNode c : node.at("/status/conditions")) {
      if (c.path("type").asText().equals("NetworkUnavailable")) {
        return c.path("status").asText().equals("False") && c.path("reason").asText().equals("FlannelIsUp");
      }
    }
    return false;
  }

  private static boolean hasRouteTo(LabNode on, String subnet) {
    return !Exec.check("ip", "-n", on.netns(), "route", "show", subnet).stdout().isBlank();
  }

  @Test
  @Order(0)
  void storeAndSubnetFilesLookLikeUpstreamFlannels() throws Exception {
    ObjectMapper json = new ObjectMapper();
    for (LabNode n : lab.nodes()) {
      SubnetEnv env = lab.subnetEnv(n);
      String subnet = lab.subnet(n);
      assertEquals("10.244.0.0/16", env.network().orElseThrow().toString(), n.name());
      assertEquals(env.subnetBlock().orElseThrow().getLower().increment(1).withoutPrefixLength().toString(),
          env.subnet().orElseThrow().getLower().withoutPrefixLength().toString(),
          n.name() + ": FLANNEL_SUBNET is the subnet's first host address");
      assertEquals(backend() == LabBackend.VXLAN ? 1450 : 1500, env.mtu(), n.name() + " MTU");
      assertTrue(env.ipMasq(), n.name() + " FLANNEL_IPMASQ");
      Optional<String> mac = PeerDataplane.vtepMac(n.netns());
      assertEquals(backend() == LabBackend.VXLAN, mac.isPresent(), n.name() + " flannel.1");
      if (lab.store() instanceof EtcdStore etcd) {
        JsonNode lease = json.readTree(etcd.etcdctl("get", "--print-value-only",
            EtcdStore.leaseKey(subnet)).check().stdout());
        assertEquals(n.underlayIp(), lease.path("PublicIP").asText(), n.name() + " " + lease);
        assertEquals(backend().type(), lease.path("BackendType").asText(), lease.toString());
        if (mac.isPresent()) {
          assertEquals(mac.get(), lease.at("/BackendData/VtepMAC").asText().toLowerCase(), lease.toString());
          assertEquals(1, lease.at("/BackendData/VNI").asInt(), lease.toString());
        }
      } else if (lab.store() instanceof KubeStore kube) {
        JsonNode node = kube.node(n.name());
        JsonNode a = node.path("metadata").path("annotations");
        String p = "flannel.alpha.coreos.com/";
        assertEquals("true", a.path(p + "kube-subnet-manager").asText(), node.toString());
        assertEquals(backend().type(), a.path(p + "backend-type").asText(), node.toString());
        assertEquals(n.underlayIp(), a.path(p + "public-ip").asText(), node.toString());
        if (mac.isPresent()) {
          JsonNode data = json.readTree(a.path(p + "backend-data").asText());
          assertEquals(mac.get(), data.path("VtepMAC").asText().toLowerCase(), data.toString());
        }
        // The daemon writes subnet.env first (pods may start) and sets the condition after it.
        long deadline = System.nanoTime() + CONVERGE.toNanos();
        while (!flannelIsUp(node) && System.nanoTime() < deadline) {
          sleepMillis(250);
          node = kube.node(n.name());
        }
        assertTrue(flannelIsUp(node), "NetworkUnavailable=False/FlannelIsUp on " + node);
        assertEquals(KubeStore.podCidr(lab.spec().network(), n.index()), subnet);
      }
    }
  }

  @Test
  @Order(2)
  void podsReachOutsideTheClusterNetworkThroughMasquerade() {
    // The switch has no route back to 10.244.0.0/16: only masqueraded traffic gets answers.
    for (LabNode n : lab.nodes()) {
      Pod p = lab.pods(n).get(0);
      assertTrue(Reachability.reaches(p, new Pod("switch", lab.spec().switchNetns(), 0,
          Underlay.SWITCH_IP), 3), p.name() + " reaches " + Underlay.SWITCH_IP);
      String rules = Exec.check("ip", "netns", "exec", n.netns(), "iptables", "-t", "nat", "-S",
          "FLANNEL-POSTRTG").stdout();
      assertTrue(rules.contains("MASQUERADE"), n.name() + " masquerade rules:\n" + rules);
    }
  }

  @Test
  @Order(1)
  void everyPodReachesEveryOtherPod() {
    assertEquals(2 * lab.nodes().size(), lab.pods().size());
    assertAllReachable("initial lab");
  }

  @Test
  @Order(3)
  void daemonRestartKeepsTrafficFlowing() {
    LabNode a = lab.nodes().get(0);
    LabNode b = lab.nodes().get(1);
    Pod from = lab.pods(a).get(0);
    Pod to = lab.pods(b).get(0);
    long before = lab.daemon(b).pid();
    long t0 = System.nanoTime();
    PingSession ping = PingSession.start(from, to, 100);
    sleepMillis(1000);
    lab.restartDaemon(b);
    lab.awaitConverged(CONVERGE);
    // Keep pinging a while after the restart, at least 4 s in all.
    sleepMillis(Math.max(1000, 4000 - (System.nanoTime() - t0) / 1_000_000));
    Reachability.PingStats s = ping.stop();
    System.out.printf("restart of flanneld on %s (%s): %d of %d pings %s -> %s lost%n", b.name(),
        backend() + "/" + store(), s.lost(), s.sent(), from.name(), to.name());
    assertNotEquals(before, lab.daemon(b).pid(), "the daemon really restarted");
    assertTrue(s.sent() >= 30, "ping ran through the restart: " + s);
    assertTrue(s.lost() <= MAX_LOST_ON_RESTART, "a restart keeps the dataplane, but " + s.lost()
        + " of " + s.sent() + " pings were lost");
    assertAllReachable("after restarting " + b.name());
  }

  @Test
  @Order(4)
  void addedNodeIsReachableWithoutRestartingTheOthers() {
    Map<Integer, Long> pids = daemonPids();
    LabNode added = lab.addNode();
    Duration took = lab.awaitConverged(CONVERGE);
    System.out.printf("node %s added (%s/%s): peers converged %d ms after its pods were up%n",
        added.name(), backend(), store(), took.toMillis());
    for (Map.Entry<Integer, Long> e : pids.entrySet()) {
      LabNode n = lab.node(e.getKey());
      assertEquals(e.getValue(), lab.daemon(n).pid(), n.name() + "'s daemon was not restarted");
      assertTrue(hasRouteTo(n, lab.subnet(added)), n.name() + " routes to " + lab.subnet(added));
    }
    assertAllReachable("after adding " + added.name());
  }

  @Test
  @Order(5)
  void removedNodeDisappearsFromItsPeers() {
    LabNode victim = lab.addNode();
    lab.awaitConverged(CONVERGE);
    String subnet = lab.subnet(victim);
    assertTrue(lab.store().subnets().contains(subnet));
    lab.removeNode(victim);
    Duration took = lab.awaitConverged(CONVERGE);
    System.out.printf("node %s removed (%s/%s): peers converged %d ms later%n", victim.name(),
        backend(), store(), took.toMillis());
    for (LabNode n : lab.nodes()) {
      assertFalse(hasRouteTo(n, subnet), n.name() + " still routes to removed " + subnet);
    }
    assertFalse(lab.store().subnets().contains(subnet), "store forgot " + subnet);
    assertAllReachable("after removing " + victim.name());
  }

  @Test
  @Order(6)
  void sigkilledDaemonConvergesWithoutStaleEntries() {
    LabNode survivor = lab.nodes().get(0);
    LabNode doomed = lab.addNode();
    lab.awaitConverged(CONVERGE);
    String doomedSubnet = lab.subnet(doomed);

    lab.killDaemon(survivor);
    PeerDataplane frozen = lab.observedOn(survivor);
    assertTrue(hasRouteTo(survivor, doomedSubnet), "SIGKILL leaves the dataplane in place");

    // While the daemon is dead: one node leaves, another joins.
    lab.removeNode(doomed);
    LabNode newcomer = lab.addNode();
    assertEquals(frozen, lab.observedOn(survivor), "nothing reprograms a dead daemon's node");

    lab.startDaemon(survivor);
    lab.awaitConverged(CONVERGE);
    PeerDataplane now = lab.observedOn(survivor);
    assertEquals(lab.expectedOn(survivor), now, "exactly the live peers, nothing stale");
    if (!doomedSubnet.equals(lab.subnet(newcomer))) {
      assertFalse(hasRouteTo(survivor, doomedSubnet), "stale route to " + doomedSubnet);
    }
    assertAllReachable("after SIGKILL and restart of " + survivor.name());
  }

}
