package io.jflannel.lab.kube;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The lab's API mock keeps metadata written through nodes/status, as a real API server does. */
class NodeStatusDispatcherTest {
  private static final String P = "flannel.alpha.coreos.com/";
  private NodeStatusDispatcher dispatcher;
  private KubernetesMockServer server;
  private KubernetesClient client;

  @BeforeEach
  void start() throws Exception {
    server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
        dispatcher = new NodeStatusDispatcher(), false);
    server.init(InetAddress.getLoopbackAddress(), 0);
    client = server.createClient();
    client.nodes().resource(KubeApiMock.node("n1", "10.244.1.0/24", "192.0.2.1")).create();
  }

  @AfterEach
  void stop() {
    client.close();
    server.destroy();
  }

  private Node n1() {
    return client.nodes().withName("n1").get();
  }

  @Test
  void mergePatchOfStatusKeepsAnnotations() {
    client.nodes().withName("n1").subresource("status").patch(PatchContext.of(PatchType.JSON_MERGE),
        "{\"metadata\":{\"annotations\":{\"" + P + "backend-type\":\"vxlan\",\"" + P
            + "kube-subnet-manager\":\"true\"}}}");
    Map<String, String> a = n1().getMetadata().getAnnotations();
    assertEquals("vxlan", a.get(P + "backend-type"));
    assertEquals("true", a.get(P + "kube-subnet-manager"));
    assertEquals("10.244.1.0/24", n1().getSpec().getPodCIDR());
  }

  @Test
  void jsonPatchOfStatusKeepsAnnotations() {
    client.nodes().withName("n1").subresource("status").patch(PatchContext.of(PatchType.JSON),
        "[{\"op\":\"add\",\"path\":\"/metadata/annotations\",\"value\":{\"" + P
            + "public-ip\":\"192.0.2.1\"}}]");
    assertEquals("192.0.2.1", n1().getMetadata().getAnnotations().get(P + "public-ip"));
  }

  @Test
  void jsonPatchWithTestOpsAppendsACondition() {
    String rv = n1().getMetadata().getResourceVersion();
    client.nodes().withName("n1").subresource("status").patch(PatchContext.of(PatchType.JSON),
        "[{\"op\":\"test\",\"path\":\"/metadata/resourceVersion\",\"value\":\"" + rv + "\"},"
            + "{\"op\":\"add\",\"path\":\"/status/conditions/-\",\"value\":"
            + "{\"type\":\"NetworkUnavailable\",\"status\":\"False\",\"reason\":\"FlannelIsUp\"}}]");
    assertEquals(List.of("Ready", "NetworkUnavailable"),
        n1().getStatus().getConditions().stream().map(c -> c.getType()).toList());
    KubernetesClientException e = assertThrows(KubernetesClientException.class,
        () -> client.nodes().withName("n1").subresource("status").patch(PatchContext.of(PatchType.JSON),
            "[{\"op\":\"test\",\"path\":\"/metadata/resourceVersion\",\"value\":\"" + rv + "\"},"
                + "{\"op\":\"remove\",\"path\":\"/status/conditions/1\"}]"));
    assertEquals(422, e.getCode(), "a failed test op is rejected");
    assertEquals(2, n1().getStatus().getConditions().size());
  }

  @Test
  void strategicPatchOfStatusMergesConditionsByType() {
    client.nodes().withName("n1").subresource("status").patch(
        PatchContext.of(PatchType.STRATEGIC_MERGE),
        "{\"metadata\":{\"annotations\":{\"" + P + "backend-data\":\"null\"}},"
            + "\"status\":{\"conditions\":[{\"type\":\"NetworkUnavailable\",\"status\":\"False\","
            + "\"reason\":\"FlannelIsUp\",\"message\":\"Flannel is running on this node\"}]}}");
    Node n = n1();
    assertEquals("null", n.getMetadata().getAnnotations().get(P + "backend-data"));
    List<String> types = n.getStatus().getConditions().stream().map(c -> c.getType()).toList();
    assertEquals(List.of("Ready", "NetworkUnavailable"), types, "Ready must survive");
    assertEquals("FlannelIsUp", n.getStatus().getConditions().get(1).getReason());
  }

  @Test
  void putOfStatusReplacesAnnotations() {
    Node n = n1();
    n.getMetadata().setAnnotations(Map.of(P + "public-ip", "192.0.2.9"));
    client.nodes().resource(n).updateStatus();
    assertEquals(Map.of(P + "public-ip", "192.0.2.9"), n1().getMetadata().getAnnotations());
  }

  @Test
  void statusWriteWithStaleResourceVersionConflicts() {
    String stale = n1().getMetadata().getResourceVersion();
    client.nodes().withName("n1").subresource("status").patch(PatchContext.of(PatchType.JSON_MERGE),
        "{\"metadata\":{\"annotations\":{\"a\":\"1\"}}}");
    KubernetesClientException e = assertThrows(KubernetesClientException.class,
        () -> client.nodes().withName("n1").subresource("status").patch(
            PatchContext.of(PatchType.JSON_MERGE),
            "{\"metadata\":{\"resourceVersion\":\"" + stale + "\",\"annotations\":{\"a\":\"2\"}}}"));
    assertEquals(409, e.getCode());
    assertEquals("1", n1().getMetadata().getAnnotations().get("a"));
  }

  @Test
  void specChangesThroughStatusAreIgnored() {
    client.nodes().withName("n1").subresource("status").patch(PatchContext.of(PatchType.JSON_MERGE),
        "{\"spec\":{\"podCIDR\":\"10.9.9.0/24\"},\"status\":{\"phase\":\"Running\"}}");
    assertEquals("10.244.1.0/24", n1().getSpec().getPodCIDR());
    assertEquals("Running", n1().getStatus().getPhase());
    assertEquals(1, n1().getStatus().getConditions().size(), "merge patch must not append to lists");
  }

  @Test
  void otherWritesAreUntouched() {
    client.nodes().withName("n1").edit(n -> {
      n.getMetadata().setLabels(Map.of("a", "b"));
      return n;
    });
    assertEquals(Map.of("a", "b"), n1().getMetadata().getLabels());
    var a = n1().getMetadata().getAnnotations();
    assertTrue(a == null || a.isEmpty(), "annotations: " + a);
  }

  @Test
  void lookupByNameFindsWhatTheStockScanFinds() {
    for (int i = 2; i <= 50; i++) {
      client.nodes().resource(KubeApiMock.node("n" + i, "10.244." + i + ".0/24", "192.0.2." + i)).create();
    }
    // Same names in other kinds and namespaces: the name alone must not decide.
    client.configMaps().inNamespace("default").resource(new io.fabric8.kubernetes.api.model.ConfigMapBuilder()
        .withNewMetadata().withName("n7").endMetadata().addToData("k", "v").build()).create();
    client.configMaps().inNamespace("other").resource(new io.fabric8.kubernetes.api.model.ConfigMapBuilder()
        .withNewMetadata().withName("n7").endMetadata().addToData("k", "w").build()).create();
    for (String path : List.of("/api/v1/nodes/n7", "/api/v1/nodes/n50", "/api/v1/nodes/missing",
        "/api/v1/namespaces/default/configmaps/n7", "/api/v1/namespaces/other/configmaps/n7",
        "/api/v1/namespaces/default/configmaps/n8", "/api/v1/nodes", "/api/v1/configmaps")) {
      var query = dispatcher.getKey(path);
      var stock = dispatcher.getMap().entrySet().stream().filter(e -> e.getKey().matches(query))
          .findFirst().orElse(null);
      assertEquals(stock, dispatcher.findResource(query), path);
    }
    assertEquals("w", client.configMaps().inNamespace("other").withName("n7").get().getData().get("k"));
    assertEquals("10.244.7.0/24", client.nodes().withName("n7").get().getSpec().getPodCIDR());
    KubernetesClientException dup = assertThrows(KubernetesClientException.class,
        () -> client.nodes().resource(KubeApiMock.node("n7", "10.244.7.0/24", "192.0.2.7")).create());
    assertEquals(409, dup.getCode(), "a second node n7 is refused");
    client.nodes().withName("n7").delete();
    assertEquals(null, client.nodes().withName("n7").get());
    assertEquals(49, client.nodes().list().getItems().size(), "n1..n50 without n7");
  }

  /** Watches nodes (from {@code rv}, or from the start when null) and records "ACTION name" until {@code last} arrives. */
  private List<String> watchUntil(String rv, String last, Runnable whileWatching) throws Exception {
    List<String> events = new java.util.concurrent.CopyOnWriteArrayList<>();
    var options = new io.fabric8.kubernetes.api.model.ListOptionsBuilder().withResourceVersion(rv).build();
    try (var w = client.nodes().watch(options, new io.fabric8.kubernetes.client.Watcher<Node>() {
      @Override
      public void eventReceived(Action action, Node node) {
        events.add(action + " " + node.getMetadata().getName());
      }

      @Override
      public void onClose(io.fabric8.kubernetes.client.WatcherException cause) {
      }
    })) {
      whileWatching.run();
      long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
      while (!events.contains(last) && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
    }
    return events;
  }

  @Test
  void aWatchFromAVersionGetsWhatChangedAfterItOnly() throws Exception {
    client.nodes().resource(KubeApiMock.node("n2", "10.244.2.0/24", "192.0.2.2")).create();
    String rv = client.nodes().list().getMetadata().getResourceVersion();
    client.nodes().resource(KubeApiMock.node("n3", "10.244.3.0/24", "192.0.2.3")).create(); // after the list
    List<String> events = watchUntil(rv, "MODIFIED n1",
        () -> client.nodes().withName("n1").edit(n -> {
          n.getMetadata().getLabels().put("changed", "yes");
          return n;
        }));
    assertEquals(List.of("ADDED n3", "MODIFIED n1"), events);
  }

  /** A watch event as the mock sends it: type, and a Node with its name and resource version. */
  private static String event(String type, String name, long rv) {
    return "{\"type\":\"" + type + "\",\"object\":{\"kind\":\"Node\",\"metadata\":{\"name\":\""
        + name + "\",\"resourceVersion\":\"" + rv + "\"}}}";
  }

  @Test
  void oldAdditionsAreDroppedWhenTheStockListenerSendsThemAfterItOpened() throws Exception {
    // The stock listener queues its replay on its own executor: the sends may come after
    // onOpen returned. Here they all do.
    List<String> sent = new java.util.concurrent.CopyOnWriteArrayList<>();
    var socket = new io.fabric8.mockwebserver.http.WebSocket() {
      @Override
      public io.fabric8.mockwebserver.http.RecordedRequest request() {
        return null;
      }

      @Override
      public boolean send(String text) {
        return sent.add(text);
      }

      @Override
      public boolean send(byte[] bytes) {
        return false;
      }

      @Override
      public boolean close(int code, String reason) {
        return true;
      }
    };
    var opened = new java.util.concurrent.atomic.AtomicReference<io.fabric8.mockwebserver.http.WebSocket>();
    var stock = new io.fabric8.mockwebserver.http.WebSocketListener() {
      @Override
      public void onOpen(io.fabric8.mockwebserver.http.WebSocket ws, io.fabric8.mockwebserver.http.Response r) {
        opened.set(ws);
      }
    };
    new NodeStatusDispatcher.SinceVersion(stock, 10).onOpen(socket, null);
    List<String> events = List.of(event("ADDED", "old", 5), event("ADDED", "at", 10),
        event("ADDED", "new", 11), event("MODIFIED", "old", 12), event("DELETED", "at", 13),
        "not json \"ADDED\"");
    Thread later = new Thread(() -> events.forEach(opened.get()::send));
    later.start();
    later.join();
    assertEquals(events.subList(2, 6), sent);
  }

  @Test
  void aWatchWithoutAVersionGetsEveryNodeFirst() throws Exception {
    client.nodes().resource(KubeApiMock.node("n2", "10.244.2.0/24", "192.0.2.2")).create();
    List<String> events = watchUntil(null, "ADDED n2", () -> { });
    assertEquals(List.of("ADDED n1", "ADDED n2"), events);
  }

  @Test
  void theWatchedVersionIsReadFromTheQuery() {
    assertEquals(42, NodeStatusDispatcher.watchedFromVersion("/api/v1/nodes?allowWatchBookmarks=true&resourceVersion=42&watch=true"));
    assertEquals(0, NodeStatusDispatcher.watchedFromVersion("/api/v1/nodes?watch=true"));
    assertEquals(0, NodeStatusDispatcher.watchedFromVersion("/api/v1/nodes?resourceVersion=&watch=true"));
    assertEquals(0, NodeStatusDispatcher.watchedFromVersion("/api/v1/nodes"));
  }
}
