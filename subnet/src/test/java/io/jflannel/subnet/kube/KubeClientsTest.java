package io.jflannel.subnet.kube;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.jflannel.subnet.SubnetException;
import java.nio.file.Files;
import java.nio.file.Path;
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
}
