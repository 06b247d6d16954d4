package io.jflannel.subnet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A JSON object whose keys are looked up case-insensitively, as Go's encoding/json does
 * for upstream flannel's structs. Two keys that differ only by case are rejected as
 * ambiguous instead of silently letting one win. Used for every JSON object read from a
 * store or a config: the network config, the lease value and the backend data inside it.
 */
public final class JsonObjectView {
  private final Map<String, Map.Entry<String, JsonNode>> byLowerKey = new LinkedHashMap<>();

  private JsonObjectView() {}

  /**
   * Wraps {@code object}.
   *
   * @param what names the object in error messages ("network config", "lease value")
   * @throws IllegalArgumentException when two keys differ only by case
   */
  public static JsonObjectView of(ObjectNode object, String what) {
    JsonObjectView view = new JsonObjectView();
    Iterator<Map.Entry<String, JsonNode>> it = object.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      String lower = e.getKey().toLowerCase(Locale.ROOT);
      Map.Entry<String, JsonNode> previous = view.byLowerKey.put(lower, Map.entry(e.getKey(), e.getValue()));
      if (previous != null) {
        throw new IllegalArgumentException(
            what + ": keys \"" + previous.getKey() + "\" and \"" + e.getKey() + "\" differ only by case");
      }
    }
    return view;
  }

  /** The value under {@code key} (any case); empty when absent or JSON null. */
  public Optional<JsonNode> get(String key) {
    Map.Entry<String, JsonNode> e = byLowerKey.get(key.toLowerCase(Locale.ROOT));
    if (e == null || e.getValue() == null || e.getValue().isNull()) {
      return Optional.empty();
    }
    return Optional.of(e.getValue());
  }

  /** True when {@code key} is present, even with a JSON null value. */
  public boolean has(String key) {
    return byLowerKey.containsKey(key.toLowerCase(Locale.ROOT));
  }

  /** The keys as written in the document that are not in {@code known} (lower case). */
  Set<String> unknownKeys(Set<String> knownLowerCase) {
    Set<String> out = new java.util.LinkedHashSet<>();
    for (Map.Entry<String, Map.Entry<String, JsonNode>> e : byLowerKey.entrySet()) {
      if (!knownLowerCase.contains(e.getKey())) {
        out.add(e.getValue().getKey());
      }
    }
    return out;
  }

  /** A short description of a JSON value for error messages: the value and its JSON type. */
  public static String describe(JsonNode n) {
    String text = n.toString();
    if (text.length() > 60) {
      text = text.substring(0, 57) + "...";
    }
    String type;
    if (n.isTextual()) {
      type = "a string";
    } else if (n.isNumber()) {
      type = "a number";
    } else if (n.isBoolean()) {
      type = "a boolean";
    } else if (n.isArray()) {
      type = "an array";
    } else if (n.isObject()) {
      type = "an object";
    } else if (n.isNull()) {
      type = "null";
    } else {
      type = n.getNodeType().name().toLowerCase(Locale.ROOT);
    }
    return text + " (" + type + ")";
  }
}
