package io.jflannel.subnet.kube;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.NodeConditionBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A fabric8 CRUD mock API server with the {@link StatusMetadataDispatcher}, and helpers to
 * build nodes.
 */
final class MockCluster implements AutoCloseable {

  static final String P = "flannel.alpha.coreos.com/";

  final StatusMetadataDispatcher dispatcher = new StatusMetadataDispatcher();
  final KubernetesMockServer server;
  final KubernetesClient client;

  MockCluster() {
    server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
        dispatcher, false);
    server.init();
    client = server.createClient();
  }

  /** A node with the given pod CIDRs, a kubelet-style Ready condition and no annotations. */
  static NodeBuilder node(String name, String... podCidrs) {
    NodeBuilder b = new NodeBuilder()
        .withNewMetadata().withName(name)
        .addToAnnotations("node.alpha.kubernetes.io/ttl", "0")
        .endMetadata()
        .withNewSpec().endSpec()
        .withNewStatus()
        .withConditions(new NodeConditionBuilder().withType("Ready").withStatus("True")
            .withReason("KubeletReady").withMessage("kubelet is posting ready status").build())
        .endStatus();
    if (podCidrs.length > 0) {
      b.editSpec().withPodCIDR(podCidrs[0]).withPodCIDRs(List.of(podCidrs)).endSpec();
    }
    return b;
  }

  /** The annotations another flanneld (vxlan) would have written. */
  static Map<String, String> vxlanPeer(String publicIp, String mac) {
    Map<String, String> a = new LinkedHashMap<>();
    a.put(P + "backend-type", "vxlan");
    a.put(P + "backend-data", "{\"VNI\":1,\"VtepMAC\":\"" + mac + "\"}");
    a.put(P + "public-ip", publicIp);
    a.put(P + "kube-subnet-manager", "true");
    return a;
  }

  /** Creates a node; like every test-side write here, not recorded by the dispatcher. */
  void create(NodeBuilder b) {
    dispatcher.untracked(() -> client.nodes().resource(b.build()).create());
  }

  Node get(String name) {
    return client.nodes().withName(name).get();
  }

  /** Changes annotations of a node (null value removes). */
  void annotate(String name, Map<String, String> changes) {
    dispatcher.untracked(() -> client.nodes().withName(name).edit(n -> {
      Map<String, String> a = n.getMetadata().getAnnotations() == null
          ? new HashMap<>() : new HashMap<>(n.getMetadata().getAnnotations());
      changes.forEach((k, v) -> {
        if (v == null) {
          a.remove(k);
        } else {
          a.put(k, v);
        }
      });
      n.getMetadata().setAnnotations(a);
      return n;
    }));
  }

  void setPodCidrs(String name, String... cidrs) {
    dispatcher.untracked(() -> client.nodes().withName(name).edit(n -> {
      n.getSpec().setPodCIDR(cidrs[0]);
      n.getSpec().setPodCIDRs(List.of(cidrs));
      return n;
    }));
  }

  @Override
  public void close() {
    client.close();
    try {
      server.destroy();
    } catch (IllegalStateException e) {
      // The mock's Vert.x server sometimes needs more than its 10 s to stop on this shared,
      // busy machine; that is not something the tests check.
      System.err.println("mock API server shutdown: " + e.getMessage());
    }
  }
}
