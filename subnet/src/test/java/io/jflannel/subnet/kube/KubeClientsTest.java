package io.jflannel.subnet.kube;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.jflannel.subnet.SubnetException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KubeClientsTest {

  private MockCluster k8s;

  @BeforeEach
  void start() {
    k8s = new MockCluster();
    k8s.create(MockCluster.node("n1", "10.244.1.0/24"));
  }

  @AfterEach
  void stop() {
    k8s.close();
  }

  private String serverUrl() {
    return "http://" + k8s.server.getHostName() + ":" + k8s.server.getPort();
  }

  @Test
  void apiUrlAloneReachesThatServer() throws Exception {
    try (KubernetesClient c = KubeClients.create(serverUrl(), "")) {
      assertEquals("10.244.1.0/24", c.nodes().withName("n1").get().getSpec().getPodCIDR());
    }
  }

  @Test
  void kubeconfigFileIsUsed(@TempDir Path dir) throws Exception {
    Path kc = dir.resolve("kubeconfig");
    Files.writeString(kc, String.join("\n",
        "apiVersion: v1",
        "kind: Config",
        "clusters:",
        "- name: lab",
        "  cluster:",
        "    server: " + serverUrl(),
        "contexts:",
        "- name: lab",
        "  context:",
        "    cluster: lab",
        "    user: flannel",
        "current-context: lab",
        "users:",
        "- name: flannel",
        "  user:",
        "    token: not-checked-by-the-mock",
        ""));
    try (KubernetesClient c = KubeClients.create(null, kc.toString())) {
      assertEquals("n1", c.nodes().withName("n1").get().getMetadata().getName());
    }
  }

  @Test
  void missingKubeconfigFileNamesIt(@TempDir Path dir) {
    Path missing = dir.resolve("nope.yaml");
    SubnetException e = assertThrows(SubnetException.class,
        () -> KubeClients.create("", missing.toString()));
    assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
  }

  @Test
  void serializationKnowsTheKindsFlanneldReadsAndSkipsTheClassPathScan() {
    // docs/decisions/0838: Node, NodeList and Status are registered; the scan that would also
    // have registered (and loaded) every other API group's kinds is off.
    io.fabric8.kubernetes.client.utils.KubernetesSerialization s = KubeClients.serialization();
    assertEquals(io.fabric8.kubernetes.api.model.Node.class, s.getRegisteredKubernetesResource("v1", "Node"));
    assertEquals(io.fabric8.kubernetes.api.model.NodeList.class, s.getRegisteredKubernetesResource("v1", "NodeList"));
    assertEquals(io.fabric8.kubernetes.api.model.Status.class, s.getRegisteredKubernetesResource("v1", "Status"));
    assertEquals(null, s.getRegisteredKubernetesResource("apps/v1", "Deployment"));
    assertEquals(null, s.getRegisteredKubernetesResource("v1", "Pod"));

    io.fabric8.kubernetes.api.model.WatchEvent node = s.unmarshal("{\"type\":\"ADDED\",\"object\":{\"apiVersion\":\"v1\","
        + "\"kind\":\"Node\",\"metadata\":{\"name\":\"n2\"},\"spec\":{\"podCIDR\":\"10.244.2.0/24\"}}}",
        io.fabric8.kubernetes.api.model.WatchEvent.class);
    assertEquals("10.244.2.0/24", ((io.fabric8.kubernetes.api.model.Node) node.getObject()).getSpec().getPodCIDR());
    io.fabric8.kubernetes.api.model.WatchEvent error = s.unmarshal("{\"type\":\"ERROR\",\"object\":{\"apiVersion\":\"v1\","
        + "\"kind\":\"Status\",\"code\":410,\"reason\":\"Expired\"}}", io.fabric8.kubernetes.api.model.WatchEvent.class);
    assertEquals(410, ((io.fabric8.kubernetes.api.model.Status) error.getObject()).getCode());
    // Any other kind still parses, generically.
    Object other = s.unmarshal("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"d\"}}");
    assertTrue(other instanceof io.fabric8.kubernetes.api.model.GenericKubernetesResource, other.getClass().getName());
  }

  @Test
  void requestsUseHttp11WithoutAskingForAnUpgrade() throws Exception {
    // docs/decisions/0842. The JDK client would otherwise offer h2c on every plain-HTTP request.
    List<String> upgrades = new java.util.concurrent.CopyOnWriteArrayList<>();
    com.sun.net.httpserver.HttpServer api =
        com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
    api.createContext("/api/v1/nodes/n1", ex -> {
      upgrades.add(ex.getProtocol() + " upgrade=" + ex.getRequestHeaders().getFirst("Upgrade"));
      byte[] body = "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"n1\"}}"
          .getBytes(java.nio.charset.StandardCharsets.UTF_8);
      ex.getResponseHeaders().add("Content-Type", "application/json");
      ex.sendResponseHeaders(200, body.length);
      ex.getResponseBody().write(body);
      ex.close();
    });
    api.start();
    try (KubernetesClient c = KubeClients.create("http://127.0.0.1:" + api.getAddress().getPort(), "")) {
      assertEquals("n1", c.nodes().withName("n1").get().getMetadata().getName());
    } finally {
      api.stop(0);
    }
    assertEquals(List.of("HTTP/1.1 upgrade=null"), upgrades);
  }

  @Test
  void poolThreadsServeTheClientAndEndSoonAfterItsWork() throws Exception {
    // docs/decisions/0850: fabric8's task pool and the JDK client's pool are ours, named, and
    // their idle threads end after a few seconds instead of the JDK's 60.
    List<String> handlerThreads = new java.util.concurrent.CopyOnWriteArrayList<>();
    try (KubernetesClient c = KubeClients.create(serverUrl(), "")) {
      var informer = c.nodes().inform(new io.fabric8.kubernetes.client.informers.ResourceEventHandler<>() {
        @Override
        public void onAdd(io.fabric8.kubernetes.api.model.Node n) {
          handlerThreads.add(Thread.currentThread().getName());
        }

        @Override
        public void onUpdate(io.fabric8.kubernetes.api.model.Node o, io.fabric8.kubernetes.api.model.Node n) {
        }

        @Override
        public void onDelete(io.fabric8.kubernetes.api.model.Node n, boolean unknown) {
        }
      });
      try {
        informer.start().toCompletableFuture().get(10, java.util.concurrent.TimeUnit.SECONDS);
        List<String> busy = poolThreads();
        assertTrue(busy.stream().anyMatch(t -> t.startsWith("jfl-kube-http-")), busy.toString());
        assertEquals(1, handlerThreads.size(), handlerThreads.toString());
        assertTrue(handlerThreads.get(0).startsWith("jfl-kube-task-"), handlerThreads.toString());
        // The informer stays up (its watch open) while the pools go idle.
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
        while (!poolThreads().isEmpty() && System.nanoTime() < deadline) {
          Thread.sleep(100);
        }
        assertEquals(List.of(), poolThreads(), "idle pool threads after 30 s (keep-alive "
            + KubeClients.POOL_THREAD_IDLE_SECONDS + " s)");
        assertTrue(informer.isWatching(), "the informer's watch outlives the pool threads");
        assertEquals("10.244.1.0/24", c.nodes().withName("n1").get().getSpec().getPodCIDR(), "later requests get new threads");
      } finally {
        informer.close();
      }
    }
  }

  private static List<String> poolThreads() {
    return Thread.getAllStackTraces().keySet().stream().map(Thread::getName)
        .filter(n -> n.startsWith("jfl-kube-task-") || n.startsWith("jfl-kube-http-")).sorted().toList();
  }
}
