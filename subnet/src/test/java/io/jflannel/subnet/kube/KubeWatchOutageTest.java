package io.jflannel.subnet.kube;

import static io.jflannel.subnet.kube.MockCluster.node;
import static io.jflannel.subnet.kube.MockCluster.vxlanPeer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.jflannel.subnet.IpNet;
import io.jflannel.subnet.LeaseEvent;
import io.jflannel.subnet.kube.Fixtures.RecordingSink;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The API server goes away while a peer is deleted; the fabric8 mock, like a server whose
 * watch history is gone, does not replay the deletion to the resumed watch. The manager lists
 * again once its watch is back (decision 0700), so the peer is removed anyway.
 */
class KubeWatchOutageTest {

  @Test
  void peerDeletedWhileTheApiWasDownIsRemovedAfterReconnect() throws Exception {
    try (MockCluster k8s = new MockCluster()) {
      k8s.create(node("self", "10.244.0.0/24")
          .editMetadata().addToAnnotations(vxlanPeer("192.0.2.10", "2a:00:00:00:00:01")).endMetadata());
      k8s.create(node("a", "10.244.1.0/24")
          .editMetadata().addToAnnotations(vxlanPeer("192.0.2.11", "2a:00:00:00:00:0a")).endMetadata());
      k8s.create(node("b", "10.244.2.0/24")
          .editMetadata().addToAnnotations(vxlanPeer("192.0.2.12", "2a:00:00:00:00:0b")).endMetadata());
      int port = k8s.server.getPort();
      KubeSubnetManager m = new KubeSubnetManager(k8s.client, Fixtures.ipv4Config(), "self",
          KubeOptions.defaults());
      KubernetesMockServer back = null;
      try {
        RecordingSink sink = new RecordingSink();
        m.watchPeers(sink);
        assertEquals(2, sink.next().size());

        // Outage: the server goes away; meanwhile peer "a" is deleted (through a second server
        // on the same state), and the server comes back on its old port.
        k8s.server.shutdown();
        KubernetesMockServer side = new KubernetesMockServer(new Context(), new MockWebServer(),
            new HashMap<>(), k8s.dispatcher, false);
        side.init();
        try {
          side.createClient().nodes().withName("a").delete();
        } finally {
          side.destroy();
        }
        Thread.sleep(2500); // the watchdog (1 s) sees the watch down
        back = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
            k8s.dispatcher, false);
        back.init(InetAddress.getByName("localhost"), port);

        // fabric8 reconnects within its backoff (1, 2, 4 s ...), then the relist removes "a".
        List<LeaseEvent> seen = new ArrayList<>();
        long deadline = System.nanoTime() + 40_000_000_000L;
        while (seen.isEmpty() && System.nanoTime() < deadline) {
          List<LeaseEvent> b = sink.poll(1000);
          if (b != null) {
            seen.addAll(b);
          }
        }
        assertEquals(1, seen.size(), "exactly the deletion: " + seen);
        LeaseEvent.Removed r = assertInstanceOf(LeaseEvent.Removed.class, seen.get(0));
        assertEquals(IpNet.parse("10.244.1.0/24"), r.lease().subnet());

        // Decision 0849: the watchdog's list runs on a connection a small request opened, not one
        // of its own. (fabric8 may list by itself as well on reconnecting: wait for ours.)
        List<String> paths = new ArrayList<>();
        int self = -1;
        int listAfter = -1;
        long until = System.nanoTime() + 20_000_000_000L;
        while (listAfter < 0 && System.nanoTime() < until) {
          var req = back.takeRequest(1, java.util.concurrent.TimeUnit.SECONDS);
          if (req == null) {
            continue;
          }
          paths.add(req.getPath());
          if (self < 0 && req.getPath().equals("/api/v1/nodes/self")) {
            self = paths.size() - 1;
          } else if (self >= 0 && req.getPath().startsWith("/api/v1/nodes?limit=")) {
            listAfter = paths.size() - 1;
          }
        }
        assertTrue(self >= 0 && listAfter > self, "a list after GET /api/v1/nodes/self: " + paths);
      } finally {
        m.close();
        if (back != null) {
          back.destroy();
        }
      }
    }
  }
}
