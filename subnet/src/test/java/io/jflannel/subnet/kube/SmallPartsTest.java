package io.jflannel.subnet.kube;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.NodeConditionBuilder;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Annotation keys, options, IP literals, the slim store and the condition patch. */
class SmallPartsTest {

  @Test
  void annotationPrefixIsNormalisedLikeUpstream() {
    assertEquals("flannel.alpha.coreos.com/", AnnotationKeys.defaults().prefix());
    assertEquals("flannel.alpha.coreos.com/public-ip", AnnotationKeys.defaults().publicIp());
    assertEquals("example.com/net-", AnnotationKeys.of("example.com/net").prefix());
    assertEquals("example.com/net-kube-subnet-manager",
        AnnotationKeys.of("example.com/net").kubeSubnetManager());
    assertEquals("example.com/", AnnotationKeys.of("example.com/").prefix());
  }

  @Test
  void badAnnotationPrefixIsRefusedWithItsText() {
    for (String bad : List.of("a/b/c", "Example.COM", "nodots", "")) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> AnnotationKeys.of(bad));
      assertTrue(e.getMessage().contains("\"" + bad + "\""), e.getMessage());
    }
  }

  @Test
  void optionsReadQueueDepthAndCacheFlagFromEnvironment() {
    KubeOptions o = KubeOptions.fromEnvironment(Map.of("EVENT_QUEUE_DEPTH", "123",
        "CONT_WHEN_CACHE_NOT_READY", "true"));
    assertEquals(123, o.eventQueueDepth());
    assertTrue(o.continueWhenCacheNotReady());
    KubeOptions d = KubeOptions.fromEnvironment(Map.of("EVENT_QUEUE_DEPTH", "0"));
    assertEquals(5000, d.eventQueueDepth());
    assertFalse(d.continueWhenCacheNotReady());
    assertTrue(d.setNodeNetworkUnavailable());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> KubeOptions.fromEnvironment(Map.of("EVENT_QUEUE_DEPTH", "lots")));
    assertTrue(e.getMessage().contains("EVENT_QUEUE_DEPTH=lots"), e.getMessage());
  }

  private static final PeerReader READER = new PeerReader(AnnotationKeys.defaults(), true, false);

  private static Node vxlanNode(String name, String cidr, String mac) {
    return MockCluster.node(name, cidr).editMetadata()
        .addToAnnotations(MockCluster.vxlanPeer("192.0.2.1", mac))
        .endMetadata().build();
  }

  @Test
  void slimStoreKeepsTheReadingAndResourceVersionOnly() {
    SlimNodeStore store = new SlimNodeStore(AnnotationKeys.defaults(), READER);
    Node full = MockCluster.node("n1", "10.244.1.0/24")
        .editMetadata().withResourceVersion("42").withUid("u-1")
        .addToAnnotations(MockCluster.vxlanPeer("192.0.2.1", "2a:00:00:00:00:01"))
        .addToAnnotations("kubectl.kubernetes.io/last-applied-configuration", "{...big...}")
        .addToLabels("kubernetes.io/os", "linux")
        .endMetadata()
        .editStatus().addNewImage().withNames("registry/app:1").withSizeBytes(1L).endImage().endStatus()
        .build();
    assertNull(store.put("n1", full));
    Node kept = store.get("n1");
    assertEquals("n1", kept.getMetadata().getName());
    assertEquals("42", kept.getMetadata().getResourceVersion());
    assertTrue(kept.getMetadata().getAnnotations() == null || kept.getMetadata().getAnnotations().isEmpty());
    assertNull(kept.getMetadata().getUid());
    assertNull(kept.getStatus());
    assertNull(kept.getSpec());
    assertEquals(READER.read(NodeView.of(full, AnnotationKeys.defaults())), store.reading("n1"));
    PeerReader.Peer peer = assertInstanceOf(PeerReader.Peer.class, store.reading("n1"));
    assertEquals("10.244.1.0/24", peer.lease().subnet().toString());
    assertEquals(Map.of("n1", peer), store.readings());
    assertFalse(store.isFullState());
    assertEquals("42", store.remove("n1").getMetadata().getResourceVersion());
    assertNull(store.reading("n1"));
    assertEquals(0, store.size());
  }

  @Test
  void slimStoreGivesBackEveryResourceVersionAsItCame() {
    SlimNodeStore store = new SlimNodeStore(AnnotationKeys.defaults(), READER);
    // Numbers are kept as numbers (decision 0855); any other text is opaque and kept as it is.
    for (String rv : java.util.Arrays.asList("0", "7", "48213", "999999999999999999", "9223372036854775807",
        "042", "+1", "-1", "12a", "abc", "", null)) {
      Node n = vxlanNode("n1", "10.244.1.0/24", "2a:00:00:00:00:01");
      n.getMetadata().setResourceVersion(rv);
      store.put("n1", n);
      assertEquals(rv, store.get("n1").getMetadata().getResourceVersion(), String.valueOf(rv));
      assertEquals(rv, store.values().findFirst().orElseThrow().getMetadata().getResourceVersion());
    }
    assertEquals(48213, SlimNodeStore.number("48213"));
    assertEquals(-1, SlimNodeStore.number("042"));
    assertEquals(-1, SlimNodeStore.number("9223372036854775807"), "19 digits: kept as text");
    assertEquals(-1, SlimNodeStore.number(null));
  }

  @Test
  void slimStoreReportsAChangedReadingOnceAndIgnoresHeartbeats() {
    SlimNodeStore store = new SlimNodeStore(AnnotationKeys.defaults(), READER);
    assertFalse(store.takeChanged("n1"), "unknown node");
    store.put("n1", vxlanNode("n1", "10.244.1.0/24", "2a:00:00:00:00:01"));
    assertTrue(store.takeChanged("n1"), "a new node is a change");
    assertFalse(store.takeChanged("n1"), "reported once");

    PeerReader.Reading first = store.reading("n1");
    Node heartbeat = vxlanNode("n1", "10.244.1.0/24", "2a:00:00:00:00:01");
    heartbeat.getMetadata().setResourceVersion("43");
    heartbeat.getStatus().setPhase("Running"); // what flannel does not read may differ freely
    assertEquals("n1", store.put("n1", heartbeat).getMetadata().getName());
    assertFalse(store.takeChanged("n1"), "same reading: not a change");
    assertSame(first, store.reading("n1"), "an equal reading keeps the instance already held");
    assertEquals("43", store.get("n1").getMetadata().getResourceVersion());

    // Two changes before the handler runs, then a heartbeat: one report, and the latest reading.
    store.put("n1", vxlanNode("n1", "10.244.1.0/24", "2a:00:00:00:00:02"));
    store.put("n1", vxlanNode("n1", "10.244.1.0/24", "2a:00:00:00:00:03"));
    store.put("n1", vxlanNode("n1", "10.244.1.0/24", "2a:00:00:00:00:03"));
    assertTrue(store.takeChanged("n1"));
    assertFalse(store.takeChanged("n1"));
    PeerReader.Peer now = assertInstanceOf(PeerReader.Peer.class, store.reading("n1"));
    assertEquals("2a:00:00:00:00:03", now.lease().attrs().backendData().get("VtepMAC").asText());

    // A node that stops being a peer is a change too.
    store.put("n1", MockCluster.node("n1", "10.244.1.0/24").build());
    assertTrue(store.takeChanged("n1"));
    assertInstanceOf(PeerReader.NotPeer.class, store.reading("n1"));
  }

  @Test
  void nodeViewFallsBackToSinglePodCidr() {
    Node n = new NodeBuilder().withNewMetadata().withName("old").endMetadata()
        .withNewSpec().withPodCIDR("10.244.3.0/24").endSpec().build();
    assertEquals(List.of("10.244.3.0/24"), NodeView.of(n, AnnotationKeys.defaults()).podCidrs());
  }

  private static final Instant NOW = Instant.parse("2025-01-02T03:04:05.678Z");

  @Test
  void conditionPatchAppendsWhenAbsentAndPinsResourceVersion() {
    Node n = MockCluster.node("n1").editMetadata().withResourceVersion("7").endMetadata().build();
    JsonNode ops = Fixtures.json(NetworkUnavailableCondition.patchFor(n, NOW).orElseThrow());
    assertEquals(2, ops.size());
    assertEquals("test", ops.get(0).get("op").asText());
    assertEquals("/metadata/resourceVersion", ops.get(0).get("path").asText());
    assertEquals("7", ops.get(0).get("value").asText());
    assertEquals("add", ops.get(1).get("op").asText());
    assertEquals("/status/conditions/-", ops.get(1).get("path").asText());
    JsonNode c = ops.get(1).get("value");
    assertEquals("NetworkUnavailable", c.get("type").asText());
    assertEquals("False", c.get("status").asText());
    assertEquals("FlannelIsUp", c.get("reason").asText());
    assertEquals("Flannel is running on this node", c.get("message").asText());
    assertEquals("2025-01-02T03:04:05Z", c.get("lastTransitionTime").asText());
  }

  @Test
  void conditionPatchCreatesListWhenNodeHasNoConditions() {
    Node n = new NodeBuilder().withNewMetadata().withName("n1").withResourceVersion("3")
        .endMetadata().build();
    JsonNode ops = Fixtures.json(NetworkUnavailableCondition.patchFor(n, NOW).orElseThrow());
    assertEquals("/status/conditions", ops.get(1).get("path").asText());
    assertTrue(ops.get(1).get("value").isArray());
  }

  @Test
  void conditionPatchReplacesAtIndexGuardedByType() {
    Node n = MockCluster.node("n1").editStatus()
        .addToConditions(new NodeConditionBuilder().withType("NetworkUnavailable").withStatus("True")
            .withLastTransitionTime("2020-01-01T00:00:00Z").build())
        .endStatus().build();
    JsonNode ops = Fixtures.json(NetworkUnavailableCondition.patchFor(n, NOW).orElseThrow());
    assertEquals("test", ops.get(0).get("op").asText());
    assertEquals("/status/conditions/1/type", ops.get(0).get("path").asText());
    assertEquals("replace", ops.get(1).get("op").asText());
    assertEquals("/status/conditions/1", ops.get(1).get("path").asText());
    assertEquals("2025-01-02T03:04:05Z",
        ops.get(1).get("value").get("lastTransitionTime").asText(), "status changed: new time");
  }

  @Test
  void conditionAlreadySetNeedsNoPatch() {
    Node n = MockCluster.node("n1").editStatus()
        .addToConditions(new NodeConditionBuilder().withType("NetworkUnavailable").withStatus("False")
            .withReason("FlannelIsUp").withMessage("Flannel is running on this node").build())
        .endStatus().build();
    assertEquals(Optional.empty(), NetworkUnavailableCondition.patchFor(n, NOW));
  }
}
