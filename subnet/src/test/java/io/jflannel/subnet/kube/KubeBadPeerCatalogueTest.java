package io.jflannel.subnet.kube;

import static io.jflannel.subnet.kube.MockCluster.P;
import static io.jflannel.subnet.kube.MockCluster.node;
import static io.jflannel.subnet.kube.MockCluster.vxlanPeer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.jflannel.subnet.LeaseEvent;
import io.jflannel.subnet.kube.Fixtures.RecordingSink;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.LoggerFactory;

/**
 * Peer node annotations and pod CIDRs that do not parse (docs/robustness.md, section "peer
 * data / Kubernetes"): the bad node sits next to a good one; the manager skips it with a WARN
 * naming the node and the field, counts it ({@code malformedPeers}, exported as
 * {@code flannel_rejected_peers_total{reason="malformed"}}), and delivers the good peer.
 */
class KubeBadPeerCatalogueTest {
  private MockCluster k8s;
  private KubeSubnetManager manager;
  private ListAppender<ILoggingEvent> logs;

  @BeforeEach
  void start() {
    k8s = new MockCluster();
    logs = new ListAppender<>();
    logs.start();
    ((Logger) LoggerFactory.getLogger(PeerTracker.class)).addAppender(logs);
  }

  @AfterEach
  void stop() {
    ((Logger) LoggerFactory.getLogger(PeerTracker.class)).detachAppender(logs);
    if (manager != null) {
      manager.close();
    }
    k8s.close();
  }

  static Stream<Arguments> badNodes() {
    return Stream.of(
        Arguments.of("K-BACKEND-DATA-NOT-JSON", Map.of(P + "backend-data", "{\"VNI\":1,\"VtepMAC\":"), null, "backend-data"),
        Arguments.of("K-BACKEND-DATA-TRAILING", Map.of(P + "backend-data", "{\"VNI\":1,\"VtepMAC\":\"2a:00:00:00:00:0a\"} junk"), null, "backend-data"),
        Arguments.of("K-BACKEND-DATA-DUPLICATE-KEY", Map.of(P + "backend-data", "{\"VtepMAC\":\"2a:00:00:00:00:0a\",\"VtepMAC\":\"2a:00:00:00:00:0b\"}"), null, "backend-data"),
        Arguments.of("K-BACKEND-DATA-MISSING", Map.of(P + "backend-data", ""), null, "backend-data"),
        Arguments.of("K-BACKEND-TYPE-MISSING", Map.of(P + "backend-type", ""), null, "backend-type"),
        Arguments.of("K-PUBLIC-IP-MISSING", Map.of(P + "public-ip", ""), null, "public-ip"),
        Arguments.of("K-PUBLIC-IP-GARBAGE", Map.of(P + "public-ip", "not-an-ip"), null, "public-ip"),
        Arguments.of("K-PUBLIC-IP-HOSTNAME", Map.of(P + "public-ip", "node-b.example"), null, "public-ip"),
        Arguments.of("K-PUBLIC-IP-V6-IN-V4", Map.of(P + "public-ip", "2001:db8::12"), null, "public-ip"),
        Arguments.of("K-PUBLIC-IP-WITH-PREFIX", Map.of(P + "public-ip", "192.0.2.12/24"), null, "public-ip"),
        Arguments.of("K-PUBLIC-IP-LEADING-ZERO", Map.of(P + "public-ip", "192.0.2.012"), null, "public-ip"),
        Arguments.of("K-PODCIDR-PREFIX-TOO-LONG", Map.of(), "10.244.1.0/99", "spec.podCIDRs"),
        Arguments.of("K-PODCIDR-BARE-ADDRESS", Map.of(), "10.244.1.0", "spec.podCIDRs"),
        Arguments.of("K-PODCIDR-GARBAGE", Map.of(), "ten.two/24", "spec.podCIDRs"),
        Arguments.of("K-PODCIDR-V6-ONLY", Map.of(), "fd00:10:244:1::/64", "spec.podCIDRs"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badNodes")
  void badPeerNodeIsSkippedWarnedCountedAndTheGoodOneDelivered(String id, Map<String, String> override,
      String podCidr, String field) throws Exception {
    k8s.create(node("self", "10.244.0.0/24"));
    k8s.create(node("good", "10.244.2.0/24")
        .editMetadata().addToAnnotations(vxlanPeer("192.0.2.12", "2a:00:00:00:00:0b")).endMetadata());
    Map<String, String> annotations = new HashMap<>(vxlanPeer("192.0.2.11", "2a:00:00:00:00:0a"));
    override.forEach((k, v) -> {
      if (v.isEmpty()) {
        annotations.remove(k);
      } else {
        annotations.put(k, v);
      }
    });
    k8s.create(node("bad", podCidr == null ? "10.244.1.0/24" : podCidr)
        .editMetadata().addToAnnotations(annotations).endMetadata());

    manager = new KubeSubnetManager(k8s.client, Fixtures.ipv4Config(), "self",
        KubeOptions.defaults().withPodCidrWait(Duration.ofMillis(200)));
    RecordingSink sink = new RecordingSink();
    manager.watchPeers(sink);
    List<LeaseEvent> first = sink.next();
    Set<String> subnets = first.stream().map(e -> e.lease().subnet().toString()).collect(Collectors.toSet());
    assertEquals(Set.of("10.244.2.0/24"), subnets, id);
    assertEquals(1, manager.malformedPeers(), id);
    assertTrue(logs.list.stream().anyMatch(e -> e.getLevel() == Level.WARN
        && e.getFormattedMessage().contains("\"bad\"") && e.getFormattedMessage().contains(field)),
        id + ": " + logs.list);
  }
}
