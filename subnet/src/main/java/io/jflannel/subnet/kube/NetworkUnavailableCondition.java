package io.jflannel.subnet.kube;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeCondition;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;

/**
 * Builds the JSON patch (RFC 6902) that sets the node condition {@code NetworkUnavailable=False}
 * (reason {@code FlannelIsUp}) on {@code nodes/<name>/status} while leaving every other condition
 * (the kubelet's Ready, MemoryPressure, ...) untouched. See docs/decisions/0352.
 *
 * <p>Each patch starts with a {@code test} operation so that it fails (HTTP 422 or 409) instead of
 * clobbering a concurrent change; the caller re-reads and retries.
 */
final class NetworkUnavailableCondition {

  static final String TYPE = "NetworkUnavailable";
  static final String REASON = "FlannelIsUp";
  static final String MESSAGE = "Flannel is running on this node";

  private static final ObjectMapper JSON = new ObjectMapper();

  private NetworkUnavailableCondition() {}

  /**
   * The patch for {@code node} as read, or empty when the condition already says
   * {@code False/FlannelIsUp} with our message.
   */
  static Optional<String> patchFor(Node node, Instant now) {
    List<NodeCondition> conditions =
        node.getStatus() == null ? null : node.getStatus().getConditions();
    String ts = now.truncatedTo(ChronoUnit.SECONDS).toString();
    ArrayNode ops = JSON.createArrayNode();
    if (conditions == null || conditions.isEmpty()) {
      testResourceVersion(ops, node);
      ObjectNode add = ops.addObject().put("op", "add").put("path", "/status/conditions");
      add.putArray("value").add(condition(ts, ts));
      return Optional.of(ops.toString());
    }
    for (int i = 0; i < conditions.size(); i++) {
      NodeCondition c = conditions.get(i);
      if (!TYPE.equals(c.getType())) {
        continue;
      }
      if ("False".equals(c.getStatus()) && REASON.equals(c.getReason())
          && MESSAGE.equals(c.getMessage())) {
        return Optional.empty();
      }
      // The transition time moves only when the status does.
      String transition = "False".equals(c.getStatus()) && c.getLastTransitionTime() != null
          ? c.getLastTransitionTime() : ts;
      String path = "/status/conditions/" + i;
      ops.addObject().put("op", "test").put("path", path + "/type").put("value", TYPE);
      ops.addObject().put("op", "replace").put("path", path).set("value", condition(ts, transition));
      return Optional.of(ops.toString());
    }
    testResourceVersion(ops, node);
    ops.addObject().put("op", "add").put("path", "/status/conditions/-")
        .set("value", condition(ts, ts));
    return Optional.of(ops.toString());
  }

  private static void testResourceVersion(ArrayNode ops, Node node) {
    // Appending or creating the list races with the kubelet writing its own conditions;
    // pinning the resource version turns a race into a retry.
    String rv = node.getMetadata() == null ? null : node.getMetadata().getResourceVersion();
    if (rv != null) {
      ops.addObject().put("op", "test").put("path", "/metadata/resourceVersion").put("value", rv);
    }
  }

  private static ObjectNode condition(String heartbeat, String transition) {
    ObjectNode c = JSON.createObjectNode();
    c.put("type", TYPE);
    c.put("status", "False");
    c.put("reason", REASON);
    c.put("message", MESSAGE);
    c.put("lastHeartbeatTime", heartbeat);
    c.put("lastTransitionTime", transition);
    return c;
  }
}
