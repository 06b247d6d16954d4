package io.jflannel.daemon;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.jflannel.subnet.IpLiteral;
import io.jflannel.subnet.LeaseAttrs;
import io.jflannel.subnet.NetworkConfigParser;
import io.jflannel.subnet.PeerListener;
import io.jflannel.subnet.PeerSet;
import io.jflannel.subnet.kube.KubeOptions;
import io.jflannel.subnet.kube.KubeSubnetManager;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Upstream's kube subnet manager lines, printed by the real manager against the API mock, in
 * klog's format: the start, the node controller's sync, and a public IP taken from the
 * {@code public-ip-overwrite} annotation.
 */
class KubeLogLinesTest {
  static final String P = "flannel.alpha.coreos.com/";

  @Test
  void startSyncAndOverrideInUpstreamsWords() throws Exception {
    KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
        new KubernetesCrudDispatcher(), false);
    server.init();
    KubernetesClient client = server.createClient();
    try (KlogCapture log = KlogCapture.of("io.jflannel.subnet.kube")) {
      client.nodes().resource(new NodeBuilder().withNewMetadata().withName("self")
          .addToAnnotations(P + "public-ip-overwrite", "198.51.100.7").endMetadata()
          .withNewSpec().withPodCIDR("10.244.1.0/24").withPodCIDRs("10.244.1.0/24").endSpec().build()).create();
      KubeSubnetManager m = new KubeSubnetManager(client,
          NetworkConfigParser.parse("{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"host-gw\"}}"), "self",
          KubeOptions.defaults());
      LinkedBlockingQueue<Boolean> drains = new LinkedBlockingQueue<>();
      try {
        m.acquireLease(new LeaseAttrs(IpLiteral.parse("192.0.2.1"), null, "host-gw", null, null));
        m.watchPeers(new PeerListener() {
          @Override
          public void peersChanged(PeerSet peers) {
            peers.drain();
            drains.add(true);
          }
        });
        assertNotNull(drains.poll(30, TimeUnit.SECONDS), "first drain");
      } finally {
        m.close();
      }
      List<String> lines = log.lines();
      for (Pattern want : List.of(
          KlogCapture.line('I', "NodeInformer.java", "Starting kube subnet manager"),
          KlogCapture.line('I', "NodeInformer.java", "Node controller sync successful"),
          KlogCapture.line('I', "KubeSubnetManager.java",
              "Overriding public ip with '198.51.100.7' from node annotation '" + P + "public-ip-overwrite'"))) {
        assertTrue(lines.stream().anyMatch(l -> want.matcher(l).matches()), want + " in\n" + String.join("\n", lines));
      }
    } finally {
      client.close();
      server.destroy();
    }
  }
}
