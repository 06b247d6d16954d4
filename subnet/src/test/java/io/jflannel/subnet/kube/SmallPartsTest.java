package io.jflannel.subnet.kube;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.NodeConditionBuilder;
import java.net.Inet4Address;
import java.net.Inet6Address;
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

  @Test
  void ipLiteralsAreStrictAndNeverResolve() {
    assertTrue(IpLiterals.parse("192.0.2.1") instanceof Inet4Address);
    assertTrue(IpLiterals.parse("2001:db8::1") instanceof Inet6Address);
    for (String bad : List.of("localhost", "node-1", "10.1", "010.0.0.1", "192.0.2.0/24",
        "fe80::1%eth0", "*", "192.0.2.1-5", " ")) {
      assertThrows(IllegalArgumentException.class, () -> IpLiterals.parse(bad), bad);
    }
    assertThrows(IllegalArgumentException.class, () -> IpLiterals.parseV4("2001:db8::1"));
    assertThrows(IllegalArgumentException.class, () -> IpLiterals.parseV6("192.0.2.1"));
  }

  @Test
  void slimStoreKeepsOnlyWhatFlannelReads() {
    SlimNodeStore store = new SlimNodeStore(AnnotationKeys.defaults());
    Node full = MockCluster.node("n1", "10.244.1.0/24")
        .editMetadata().withResourceVersion("42").withUid("u-1")
        .addToAnnotations("flannel.alpha.coreos.com/public-ip", "192.0.2.1")
        .addToAnnotations("kubectl.kubernetes.io/last-applied-configuration", "{...big...}")
        .addToLabels("kubernetes.io/os", "linux")
        .endMetadata()
        .editStatus().addNewImage().withNames("registry/app:1").withSizeBytes(1L).endImage().endStatus()
        .build();
    assertNull(store.put("n1", full));
    Node kept = store.get("n1");
    assertEquals("n1", kept.getMetadata().getName());
    assertEquals("42", kept.getMetadata().getResourceVersion());
    assertEquals(Map.of("flannel.alpha.coreos.com/public-ip", "192.0.2.1"),
        kept.getMetadata().getAnnotations());
    assertTrue(kept.getMetadata().getLabels() == null || kept.getMetadata().getLabels().isEmpty());
    assertNull(kept.getStatus());
    assertEquals(List.of("10.244.1.0/24"), kept.getSpec().getPodCIDRs());
    assertEquals(NodeView.of(full, AnnotationKeys.defaults()), store.view("n1"));
    assertEquals(NodeView.of(full, AnnotationKeys.defaults()),
        NodeView.of(kept, AnnotationKeys.defaults()), "round trip keeps the view");
    assertFalse(store.isFullState());
    assertEquals("n1", store.remove("n1").getMetadata().getName());
    assertEquals(0, store.size());
  }

  @Test
  void slimStoreSharesTheNameAndCommonValuesAcrossUpdates() {
    SlimNodeStore store = new SlimNodeStore(AnnotationKeys.defaults());
    // new String(...): distinct instances, as two deserialised Nodes carry.
    Node first = MockCluster.node(new String("n1"), "10.244.1.0/24").editMetadata()
        .addToAnnotations("flannel.alpha.coreos.com/backend-type", new String("vxlan"))
        .addToAnnotations("flannel.alpha.coreos.com/kube-subnet-manager", new String("true"))
        .endMetadata().build();
    Node again = MockCluster.node(new String("n1"), "10.244.1.0/24").editMetadata()
        .addToAnnotations("flannel.alpha.coreos.com/backend-type", new String("vxlan"))
        .endMetadata().build();
    String key = first.getMetadata().getName();
    store.put(key, first);
    store.put(again.getMetadata().getName(), again);
    NodeView view = store.view("n1");
    assertTrue(view.name() == key, "the view keeps the map's first key, not the update's copy");
    assertTrue(view.annotation("flannel.alpha.coreos.com/backend-type") == "vxlan", "shared constant");
    assertEquals(NodeView.of(again, AnnotationKeys.defaults()), view, "equal to the update's own view");
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
