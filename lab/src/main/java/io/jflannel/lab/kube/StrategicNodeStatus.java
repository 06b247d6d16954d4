package io.jflannel.lab.kube;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Turns a strategic-merge patch of a Node's status into an equivalent JSON merge patch,
 * given the current Node. Only the two lists flanneld's kind of client touches need the
 * strategic rule: {@code status.conditions} and {@code status.addresses} merge by their
 * {@code type} key; everything else merges as in a JSON merge patch.
 */
final class StrategicNodeStatus {
  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  private StrategicNodeStatus() {}

  static JsonNode toMergePatch(JsonNode currentNode, JsonNode patch) {
    if (!patch.isObject()) {
      return patch;
    }
    ObjectNode out = ((ObjectNode) patch).deepCopy();
    JsonNode status = out.path("status");
    if (status.isObject()) {
      ObjectNode st = (ObjectNode) status;
      for (String list : new String[] {"conditions", "addresses"}) {
        if (st.has(list) && st.get(list).isArray()) {
          st.set(list, mergeByType(currentNode.path("status").path(list), st.get(list)));
        }
      }
    }
    return out;
  }

  private static ArrayNode mergeByType(JsonNode current, JsonNode patch) {
    Map<String, ObjectNode> byType = new LinkedHashMap<>();
    if (current.isArray()) {
      for (JsonNode item : current) {
        if (item.isObject()) {
          byType.put(item.path("type").asText(), ((ObjectNode) item).deepCopy());
        }
      }
    }
    for (JsonNode item : patch) {
      if (!item.isObject()) {
        continue;
      }
      String type = item.path("type").asText();
      ObjectNode merged = byType.computeIfAbsent(type, t -> F.objectNode());
      item.fields().forEachRemaining(e -> {
        if (e.getValue().isNull()) {
          merged.remove(e.getKey());
        } else {
          merged.set(e.getKey(), e.getValue());
        }
      });
    }
    ArrayNode out = F.arrayNode();
    byType.values().forEach(out::add);
    return out;
  }
}
