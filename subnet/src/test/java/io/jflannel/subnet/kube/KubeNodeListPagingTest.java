package io.jflannel.subnet.kube;

import static io.jflannel.subnet.kube.MockCluster.node;
import static io.jflannel.subnet.kube.MockCluster.vxlanPeer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.jflannel.subnet.IpNet;
import io.jflannel.subnet.LeaseEvent;
import io.jflannel.subnet.NetworkConfig;
import io.jflannel.subnet.kube.Fixtures.RecordingSink;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The Node list is paged as client-go's pager does (issue 21 item 1): {@code limit=500}, then
 * {@code continue} with the token of the previous page until none comes back; at start-up and
 * on the list after a lost watch. The API mock pages like an API server here
 * ({@link StatusMetadataDispatcher#pageNodeLists()}); the stock mock ignores both parameters.
 */
class KubeNodeListPagingTest {
  private static final int PEERS = 1_000; // with "self", 1,001 Nodes: pages of 500, 500 and 1

  private static NetworkConfig config() {
    return new NetworkConfig(true, false, false, IpNet.parse("10.0.0.0/8"), 24, null, null,
        null, 0, null, null, new NetworkConfig.BackendConfig("vxlan", null));
  }

  private static String name(int i) {
    return String.format("n%04d", i);
  }

  private static void createNodes(MockCluster k8s) {
    k8s.create(node("self", "10.0.0.0/24")
        .editMetadata().addToAnnotations(vxlanPeer("192.0.2.1", "2a:00:00:00:00:01")).endMetadata());
    for (int i = 1; i <= PEERS; i++) {
      String ip = "172.16." + (i >> 8) + "." + (i & 0xff);
      String mac = String.format("2a:00:00:00:%02x:%02x", i >> 8, i & 0xff);
      k8s.create(node(name(i), "10." + (i >> 8) + "." + (i & 0xff) + ".0/24")
          .editMetadata().addToAnnotations(vxlanPeer(ip, mac)).endMetadata());
    }
  }

  /** The query strings of the node lists (not watches) among {@code paths}. */
  private static List<String> nodeLists(List<String> paths) {
    return paths.stream().filter(p -> p.startsWith("/api/v1/nodes?") && !p.contains("watch=true"))
        .map(p -> p.substring("/api/v1/nodes?".length())).toList();
  }

  @Test
  void theFirstListIsPagedAndComplete() throws Exception {
    try (MockCluster k8s = new MockCluster()) {
      k8s.dispatcher.pageNodeLists();
      createNodes(k8s);
      KubeSubnetManager m = new KubeSubnetManager(k8s.client, config(), "self", KubeOptions.defaults());
      try {
        RecordingSink sink = new RecordingSink();
        m.watchPeers(sink);
        List<LeaseEvent> first = sink.next();
        assertEquals(PEERS, first.size(), "every peer from the three pages");
        assertEquals(PEERS, first.stream().map(e -> e.lease().subnet()).collect(Collectors.toSet()).size());
        List<String> lists = nodeLists(k8s.dispatcher.requests().stream()
            .map(StatusMetadataDispatcher.Request::path).toList());
        assertEquals(List.of("limit=500", "continue=" + name(500) + "&limit=500",
            "continue=" + name(PEERS) + "&limit=500"), lists.stream().map(KubeNodeListPagingTest::sorted).toList(),
            "one list in three pages: " + lists);
      } finally {
        m.close();
      }
    }
  }

  /**
   * The list after a lost watch (decision 0700) is paged too, and sees what changed; a list of
   * exactly two pages ends with the second (the server gives no continue token).
   */
  @Test
  void theListAfterALostWatchIsPaged() throws Exception {
    try (MockCluster k8s = new MockCluster()) {
      k8s.dispatcher.pageNodeLists();
      createNodes(k8s);
      int port = k8s.server.getPort();
      KubeSubnetManager m = new KubeSubnetManager(k8s.client, config(), "self", KubeOptions.defaults());
      KubernetesMockServer back = null;
      try {
        RecordingSink sink = new RecordingSink();
        m.watchPeers(sink);
        assertEquals(PEERS, sink.next().size());

        // The API server goes away; meanwhile a Node in the last full page is deleted (through
        // a second server on the same state, which does not replay it to the resumed watch).
        k8s.server.shutdown();
        KubernetesMockServer side = new KubernetesMockServer(new Context(), new MockWebServer(),
            new HashMap<>(), k8s.dispatcher, false);
        side.init();
        try {
          side.createClient().nodes().withName(name(777)).delete();
        } finally {
          side.destroy();
        }
        Thread.sleep(2500); // the watchdog (1 s) sees the watch down
        back = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
            k8s.dispatcher, false);
        back.init(InetAddress.getByName("localhost"), port);

        List<LeaseEvent> seen = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
        while (seen.isEmpty() && System.nanoTime() < deadline) {
          List<LeaseEvent> b = sink.poll(1000);
          if (b != null) {
            seen.addAll(b);
          }
        }
        assertEquals(1, seen.size(), "exactly the deletion: " + seen);
        assertEquals(IpNet.parse("10.3.9.0/24"), assertInstanceOf(LeaseEvent.Removed.class, seen.get(0))
            .lease().subnet());

        // The watchdog's list: after its GET of the own Node, limit=500 and then the continues.
        // (fabric8 may list by itself as well on reconnecting: wait for the watchdog's.) With one
        // Node gone, 1,000 remain: two full pages, and no empty third page before the watch.
        List<String> paths = new ArrayList<>();
        List<String> expected = List.of("limit=500", "continue=" + name(500) + "&limit=500", "watch");
        List<String> after = List.of();
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (java.util.Collections.indexOfSubList(after, expected) < 0 && System.nanoTime() < until) {
          RecordedRequest req = back.takeRequest(1, TimeUnit.SECONDS);
          if (req != null) {
            paths.add(req.getPath());
          }
          int self = paths.indexOf("/api/v1/nodes/self");
          after = self < 0 ? List.of() : paths.subList(self, paths.size()).stream()
              .filter(p -> p.startsWith("/api/v1/nodes?"))
              .map(p -> p.contains("watch=true") ? "watch" : sorted(p.substring("/api/v1/nodes?".length())))
              .toList();
        }
        assertTrue(java.util.Collections.indexOfSubList(after, expected) >= 0,
            "a list in two pages, then the watch, after the own Node: " + paths);
        after = after.stream().filter(q -> !q.equals("watch")).toList();
        assertEquals(Set.of(), Set.copyOf(after).stream().filter(q -> !q.contains("limit=500"))
            .collect(Collectors.toSet()), "every list carries the limit");
      } finally {
        m.close();
        if (back != null) {
          back.destroy();
        }
      }
    }
  }

  /** Query parameters in name order, so that the client's order does not matter. */
  private static String sorted(String query) {
    return java.util.Arrays.stream(query.split("&")).filter(p -> !p.startsWith("resourceVersion="))
        .sorted().collect(Collectors.joining("&"));
  }
}
