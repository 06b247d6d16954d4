package io.jflannel.subnet.kube;

import static io.jflannel.subnet.kube.Fixtures.vxlanAttrs;
import static io.jflannel.subnet.kube.MockCluster.P;
import static io.jflannel.subnet.kube.MockCluster.node;
import static io.jflannel.subnet.kube.MockCluster.vxlanPeer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.jflannel.subnet.LeaseAttrs;
import io.jflannel.subnet.PeerListener;
import io.jflannel.subnet.PeerSet;
import java.net.InetAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * This node's own Node after start-up, against the fabric8 API mock (issue 18, items 7 and 11):
 * our annotations overwritten are restored, a re-registered Node is annotated again, a changed
 * pod CIDR stops the daemon with one line; a Node list that fails after start is counted and
 * reported until one succeeds; the peers' advertised attributes are available at start.
 */
class KubeOwnStateTest {
  private static final String OWN_MAC = "2a:00:00:00:00:01";

  private MockCluster k8s;
  private KubeSubnetManager m;
  private final Sink sink = new Sink();

  /** Records drains and own-state failures. */
  static final class Sink implements PeerListener {
    final LinkedBlockingQueue<Integer> drains = new LinkedBlockingQueue<>();
    final LinkedBlockingQueue<String> failed = new LinkedBlockingQueue<>();

    @Override
    public void peersChanged(PeerSet peers) {
      drains.add(peers.drain().size());
    }

    @Override
    public void ownStateFailed(String reason) {
      failed.add(reason);
    }
  }

  @BeforeEach
  void start() {
    k8s = new MockCluster();
  }

  @AfterEach
  void stop() {
    if (m != null) {
      m.close();
    }
    k8s.close();
  }

  private void startSelf() throws Exception {
    k8s.create(node("self", "10.244.1.0/24"));
    k8s.create(node("b", "10.244.2.0/24").editMetadata()
        .addToAnnotations(vxlanPeer("192.0.2.12", "2a:00:00:00:00:0b")).endMetadata());
    m = new KubeSubnetManager(k8s.client, Fixtures.ipv4Config(), "self", KubeOptions.defaults());
    m.acquireLease(vxlanAttrs("192.0.2.10", OWN_MAC));
    m.watchPeers(sink);
    assertNotNull(sink.drains.poll(10, TimeUnit.SECONDS), "first drain");
  }

  private static void await(String what, BooleanSupplier done) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < end) {
      if (done.getAsBoolean()) {
        return;
      }
      Thread.sleep(50);
    }
    throw new AssertionError("timed out waiting for " + what);
  }

  private Map<String, String> annotationsOf(String name) {
    Node n = k8s.get(name);
    return n == null || n.getMetadata().getAnnotations() == null ? Map.of() : n.getMetadata().getAnnotations();
  }

  private BooleanSupplier oursAgain() {
    return () -> {
      Map<String, String> a = annotationsOf("self");
      return ("{\"VNI\":1,\"VtepMAC\":\"" + OWN_MAC + "\"}").equals(a.get(P + "backend-data"))
          && "192.0.2.10".equals(a.get(P + "public-ip")) && "vxlan".equals(a.get(P + "backend-type"))
          && "true".equals(a.get(P + "kube-subnet-manager"));
    };
  }

  private long statusPatchesOfSelf() {
    return k8s.dispatcher.writes().stream().filter(w -> w.is("PATCH", "/api/v1/nodes/self/status")).count();
  }

  @Test
  void ourAnnotationsOverwrittenByAnotherWriterAreRestoredThroughTheStatusSubresource() throws Exception {
    startSelf();
    long patches = statusPatchesOfSelf();
    Map<String, String> foreign = new HashMap<>();
    foreign.put(P + "backend-data", "{\"VNI\":1,\"VtepMAC\":\"2a:00:00:00:00:0b\"}"); // b's MAC
    foreign.put(P + "public-ip", "192.0.2.99");
    k8s.annotate("self", foreign);
    await("our annotations back", oursAgain());
    assertTrue(statusPatchesOfSelf() > patches, "restored with a status patch (RBAC: nodes/status patch)");
    assertNull(sink.failed.poll(200, TimeUnit.MILLISECONDS));

    Map<String, String> removed = new HashMap<>();
    removed.put(P + "kube-subnet-manager", null);
    k8s.annotate("self", removed);
    await("the removed annotation back", oursAgain());
  }

  @Test
  void aNodeDeletedAndRegisteredAgainByTheKubeletIsAnnotatedAgain() throws Exception {
    startSelf();
    k8s.dispatcher.untracked(() -> k8s.client.nodes().withName("self").delete());
    await("gone", () -> k8s.get("self") == null);
    k8s.create(node("self")); // the kubelet registers it; the node controller assigns the cidr later
    k8s.setPodCidrs("self", "10.244.1.0/24");
    await("annotations written again", oursAgain());
    await("NetworkUnavailable=False set again", () -> k8s.get("self").getStatus().getConditions().stream()
        .anyMatch(c -> c.getType().equals("NetworkUnavailable") && c.getStatus().equals("False")));
    assertNull(sink.failed.poll(200, TimeUnit.MILLISECONDS));
  }

  @Test
  void ourPodCidrChangedStopsTheDaemonWithOneLineNamingBoth() throws Exception {
    startSelf();
    k8s.dispatcher.untracked(() -> k8s.client.nodes().withName("self").delete());
    await("gone", () -> k8s.get("self") == null);
    k8s.create(node("self", "10.244.7.0/24"));
    String why = sink.failed.poll(30, TimeUnit.SECONDS);
    assertNotNull(why, "no own-state failure");
    assertEquals("pod cidr of node \"self\" changed from 10.244.1.0/24 to 10.244.7.0/24 (the Node was re-created?);"
        + " exiting so that flanneld starts again on the new subnet", why);
    assertNull(annotationsOf("self").get(P + "backend-data"), "not annotated with the old lease");
  }

  @Test
  void aWriterThatKeepsOverwritingOurAnnotationsStopsTheDaemon() throws Exception {
    startSelf();
    for (int i = 1; i <= 3; i++) {
      k8s.annotate("self", Map.of(P + "public-ip", "192.0.2.9" + i));
      await("restoration " + i, oursAgain());
    }
    k8s.annotate("self", Map.of(P + "public-ip", "192.0.2.99"));
    String why = sink.failed.poll(30, TimeUnit.SECONDS);
    assertNotNull(why, "no own-state failure after the fourth overwrite");
    assertTrue(why.contains("keep being overwritten") && why.contains(P + "public-ip"), why);
  }

  /** A watch the API server keeps refusing (403) counts as out of date once down past the limit. */
  @Test
  void aNodeWatchDownPastTheLimitIsReportedUntilItIsBack() throws Exception {
    startSelf();
    m.informer().watchDownLimit = Duration.ofSeconds(2);
    int port = k8s.server.getPort();
    k8s.dispatcher.forbidNodeWatch(true);
    k8s.server.shutdown();
    KubernetesMockServer back = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
        k8s.dispatcher, false);
    back.init(InetAddress.getByName("localhost"), port);
    try {
      await("the watch reported down", () -> m.peerListProblem().isPresent());
      assertEquals("the node watch has been down for more than 2 s", m.peerListProblem().orElseThrow());
      k8s.dispatcher.forbidNodeWatch(false);
      await("the watch back", () -> m.peerListProblem().isEmpty());
    } finally {
      back.destroy();
    }
  }

  /** Item 11c needs the peers' VTEP MACs before the device exists: after the first list. */
  @Test
  void currentPeersAreThePeerNodesAdvertisedAttributes() throws Exception {
    k8s.create(node("self", "10.244.1.0/24").editMetadata()
        .addToAnnotations(vxlanPeer("192.0.2.10", "2a:00:00:00:00:0b")).endMetadata());
    k8s.create(node("b", "10.244.2.0/24").editMetadata()
        .addToAnnotations(vxlanPeer("192.0.2.12", "2a:00:00:00:00:0b")).endMetadata());
    k8s.create(node("bad", "10.244.3.0/24").editMetadata()
        .addToAnnotations(vxlanPeer("not-an-ip", "2a:00:00:00:00:0c")).endMetadata());
    k8s.create(node("plain", "10.244.4.0/24"));
    m = new KubeSubnetManager(k8s.client, Fixtures.ipv4Config(), "self", KubeOptions.defaults());
    Map<String, LeaseAttrs> peers = m.currentPeers();
    assertEquals(Map.of("b", vxlanAttrs("192.0.2.12", "2a:00:00:00:00:0b")), peers);
    assertEquals(InetAddress.getByName("192.0.2.12"), peers.get("b").publicIp());
  }

  /**
   * Item 7: a Node list that fails after start (here RBAC revoked, then the watch lost, so the
   * nodes are listed again) is counted and reported until a list succeeds.
   */
  @Test
  void aNodeListFailingAfterStartIsCountedAndReportedUntilOneSucceeds() throws Exception {
    startSelf();
    assertEquals(0, m.peerListFailures());
    assertTrue(m.peerListProblem().isEmpty());
    int port = k8s.server.getPort();
    k8s.dispatcher.forbidNodeList();
    k8s.server.shutdown(); // the watch is lost ...
    Thread.sleep(2500); // (the watchdog, every second, sees it down)
    KubernetesMockServer back = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
        k8s.dispatcher, false);
    back.init(InetAddress.getByName("localhost"), port); // ... and back: the nodes are listed again
    try {
      await("a failed list", () -> m.peerListProblem().isPresent());
      String problem = m.peerListProblem().orElseThrow();
      assertTrue(problem.startsWith("listing nodes") && problem.contains("403"), problem);
      assertTrue(m.peerListFailures() >= 1);
      k8s.dispatcher.allowNodeList();
      await("a list that works again", () -> m.peerListProblem().isEmpty());
      assertTrue(m.peerListFailures() >= 1, "the count stays");
    } finally {
      back.destroy();
    }
  }
}
