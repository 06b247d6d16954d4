package io.jflannel.subnet.kube;

import static io.jflannel.subnet.kube.MockCluster.node;
import static io.jflannel.subnet.kube.MockCluster.vxlanPeer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.jflannel.subnet.kube.Fixtures.RecordingSink;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The ClusterRole in deploy/kube-flannel.yml grants exactly what the daemon uses: every request
 * the mock API server receives while a manager finds its node through POD_NAME/POD_NAMESPACE,
 * acquires its lease, watches peers and marks the node ready is mapped to (resource, verb),
 * and that set must equal the manifest's rules.
 */
class RbacMatchesCallsTest {
  private static final Pattern CORE = Pattern.compile(
      "^/api/v1(?:/namespaces/[^/?]+)?/([a-z]+)(?:/([^/?]+))?(?:/([a-z]+))?(?:\\?(.*))?$");

  private MockCluster k8s;

  @BeforeEach
  void start() {
    k8s = new MockCluster();
  }

  @AfterEach
  void stop() {
    k8s.close();
  }

  /** "resource[/subresource]:verb" for one request, as the API server's authorizer sees it. */
  static String permission(String method, String path) {
    Matcher m = CORE.matcher(path);
    if (!m.matches()) {
      throw new AssertionError("request outside the core API group: " + method + " " + path);
    }
    String resource = m.group(1) + (m.group(3) == null ? "" : "/" + m.group(3));
    boolean named = m.group(2) != null;
    String query = m.group(4) == null ? "" : m.group(4);
    String verb = switch (method) {
      case "GET" -> query.contains("watch=true") || query.contains("watch=1") ? "watch" : named ? "get" : "list";
      case "PATCH" -> "patch";
      case "PUT" -> "update";
      case "POST" -> "create";
      case "DELETE" -> named ? "delete" : "deletecollection";
      default -> throw new AssertionError("unexpected method " + method + " " + path);
    };
    return resource + ":" + verb;
  }

  static Set<String> manifestRules() throws Exception {
    Path manifest = Path.of("..", "deploy", "kube-flannel.yml");
    assertTrue(Files.isRegularFile(manifest), "manifest not found at " + manifest.toAbsolutePath());
    Set<String> out = new TreeSet<>();
    try (InputStream in = Files.newInputStream(manifest);
         var client = new io.fabric8.kubernetes.client.KubernetesClientBuilder().build()) {
      List<HasMetadata> objects = client.load(in).items();
      List<ClusterRole> roles = objects.stream().filter(ClusterRole.class::isInstance).map(ClusterRole.class::cast).toList();
      assertEquals(1, roles.size(), "one ClusterRole expected");
      for (PolicyRule r : roles.get(0).getRules()) {
        assertEquals(List.of(""), r.getApiGroups(), "only the core API group: " + r);
        assertTrue(r.getResourceNames() == null || r.getResourceNames().isEmpty(), r.toString());
        for (String res : r.getResources()) {
          for (String verb : r.getVerbs()) {
            out.add(res + ":" + verb);
          }
        }
      }
    }
    return out;
  }

  @Test
  void everyCallTheManagerMakesIsGrantedAndEveryGrantIsUsed() throws Exception {
    k8s.create(node("self", "10.244.0.0/24"));
    k8s.create(node("a", "10.244.1.0/24")
        .editMetadata().addToAnnotations(vxlanPeer("192.0.2.11", "2a:00:00:00:00:0a")).endMetadata());
    k8s.dispatcher.untracked(() -> k8s.client.pods().inNamespace("kube-flannel").resource(new PodBuilder()
        .withNewMetadata().withName("kube-flannel-ds-x1").withNamespace("kube-flannel").endMetadata()
        .withNewSpec().withNodeName("self").addNewContainer().withName("f").withImage("i").endContainer().endSpec()
        .build()).create());

    // The daemon's sequence: node name from the pod, previous attrs, acquire, public-ip
    // annotation, peers, ready.
    KubeSubnetManager m = KubeSubnetManager.create(k8s.client, Fixtures.ipv4Config(),
        Map.of("POD_NAME", "kube-flannel-ds-x1", "POD_NAMESPACE", "kube-flannel"), KubeOptions.defaults());
    try {
      m.previousOwnAttrs();
      m.acquireLease(Fixtures.vxlanAttrs("192.0.2.10", "2a:00:00:00:00:01"));
      m.storedPublicIp(false);
      RecordingSink sink = new RecordingSink();
      m.watchPeers(sink);
      assertEquals(1, sink.next().size());
      // a change after the initial list travels over the watch
      k8s.create(node("b", "10.244.2.0/24")
          .editMetadata().addToAnnotations(vxlanPeer("192.0.2.12", "2a:00:00:00:00:0b")).endMetadata());
      assertFalse(sink.next().isEmpty());
      m.markNetworkReady();
    } finally {
      m.close();
    }

    Set<String> used = new TreeSet<>();
    for (StatusMetadataDispatcher.Request r : k8s.dispatcher.requests()) {
      used.add(permission(r.method(), r.path()));
    }
    assertEquals(manifestRules(), used, "requests seen: " + k8s.dispatcher.requests());
  }

  @Test
  void requestMappingFollowsTheAuthorizer() {
    assertEquals("nodes:list", permission("GET", "/api/v1/nodes?resourceVersion=0"));
    assertEquals("nodes:watch", permission("GET", "/api/v1/nodes?allowWatchBookmarks=true&watch=true"));
    assertEquals("nodes:get", permission("GET", "/api/v1/nodes/n1"));
    assertEquals("nodes/status:patch", permission("PATCH", "/api/v1/nodes/n1/status"));
    assertEquals("nodes:patch", permission("PATCH", "/api/v1/nodes/n1"));
    assertEquals("pods:get", permission("GET", "/api/v1/namespaces/kube-flannel/pods/p"));
    assertEquals("nodes/status:update", permission("PUT", "/api/v1/nodes/n1/status"));
  }
}
