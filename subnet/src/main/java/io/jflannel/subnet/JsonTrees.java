package io.jflannel.subnet;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ContainerNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * JSON text to Jackson trees and back through Jackson's streaming parser and generator, for
 * the network config, the etcd lease values and the kube backend-data annotations. The result is the tree an {@code ObjectMapper}
 * with {@code FAIL_ON_TRAILING_TOKENS} and {@code STRICT_DUPLICATE_DETECTION} reads, without
 * loading the mapper: its serializer, deserializer and introspection machinery is about 300
 * classes an etcd-mode daemon keeps loaded for good (docs/decisions/0835).
 */
public final class JsonTrees {
  private static final JsonFactory FACTORY = JsonFactory.builder()
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .build();
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private JsonTrees() {}

  /**
   * Parses one JSON document.
   *
   * @return its tree, or null when the text holds no value (only white space)
   * @throws JsonProcessingException for malformed JSON, duplicate keys, or anything after the value
   */
  public static JsonNode read(String json) throws JsonProcessingException {
    try (JsonParser p = FACTORY.createParser(json)) {
      JsonToken first = p.nextToken();
      if (first == null) {
        return null;
      }
      JsonNode root = tree(p, first);
      JsonToken after = p.nextToken();
      if (after != null) {
        throw new JsonParseException(p, "Trailing token (" + after + ") found after the document's value");
      }
      return root;
    } catch (JsonProcessingException e) {
      throw e;
    } catch (IOException e) {
      throw new UncheckedIOException("reading JSON from a String", e); // a String reader does not fail
    }
  }

  /**
   * Builds the value starting at {@code t} with an explicit stack of open containers, not by
   * recursion: the daemon's threads have 256 KB stacks, and the parser allows 1,000 levels.
   */
  private static JsonNode tree(JsonParser p, JsonToken t) throws IOException {
    ArrayDeque<ContainerNode<?>> open = new ArrayDeque<>();
    JsonNode root = null;
    String field = null;
    do {
      JsonNode made;
      switch (t) {
        case FIELD_NAME:
          field = p.currentName();
          continue;
        case END_OBJECT:
        case END_ARRAY:
          open.pop();
          continue;
        case START_OBJECT:
          // Lease objects have two or three fields: a 4-slot table instead of the default 16,
          // 48 bytes less for every peer's backend data (larger objects grow as usual).
          made = new ObjectNode(NODES, new LinkedHashMap<>(4));
          break;
        case START_ARRAY:
          made = NODES.arrayNode();
          break;
        default:
          made = scalar(p, t);
      }
      ContainerNode<?> parent = open.peek();
      if (parent == null) {
        root = made;
      } else if (parent instanceof ObjectNode o) {
        o.set(field, made);
      } else {
        ((ArrayNode) parent).add(made);
      }
      if (made instanceof ContainerNode<?> c) {
        open.push(c);
      }
    } while (!open.isEmpty() && (t = p.nextToken()) != null);
    if (!open.isEmpty()) {
      throw new JsonParseException(p, "Unexpected end of input inside " + (open.size()) + " open containers");
    }
    return root;
  }

  private static JsonNode scalar(JsonParser p, JsonToken t) throws IOException {
    switch (t) {
      case VALUE_STRING:
        return NODES.textNode(p.getText());
      case VALUE_NUMBER_INT:
        switch (p.getNumberType()) {
          case INT:
            return NODES.numberNode(p.getIntValue());
          case LONG:
            return NODES.numberNode(p.getLongValue());
          default:
            return NODES.numberNode(p.getBigIntegerValue());
        }
      case VALUE_NUMBER_FLOAT:
        return NODES.numberNode(p.getDoubleValue());
      case VALUE_TRUE:
        return NODES.booleanNode(true);
      case VALUE_FALSE:
        return NODES.booleanNode(false);
      case VALUE_NULL:
        return NODES.nullNode();
      default:
        throw new JsonParseException(p, "unexpected token " + t);
    }
  }

  /** A generator writing compact JSON to {@code out}. */
  static JsonGenerator generator(Writer out) throws IOException {
    return FACTORY.createGenerator(out);
  }

  /** {@code node} as compact JSON text. */
  public static String text(JsonNode node) {
    StringWriter out = new StringWriter();
    try (JsonGenerator g = generator(out)) {
      write(g, node);
    } catch (IOException e) {
      throw new UncheckedIOException("writing JSON to a String", e); // a StringWriter does not fail
    }
    return out.toString();
  }

  /** Writes {@code node} (objects, arrays, strings, numbers, booleans, null) to {@code g}. */
  static void write(JsonGenerator g, JsonNode node) throws IOException {
    switch (node.getNodeType()) {
      case OBJECT -> {
        g.writeStartObject();
        Iterator<Map.Entry<String, JsonNode>> it = node.fields();
        while (it.hasNext()) {
          Map.Entry<String, JsonNode> e = it.next();
          g.writeFieldName(e.getKey());
          write(g, e.getValue());
        }
        g.writeEndObject();
      }
      case ARRAY -> {
        g.writeStartArray();
        for (JsonNode e : node) {
          write(g, e);
        }
        g.writeEndArray();
      }
      case STRING -> g.writeString(node.textValue());
      case NUMBER -> {
        switch (node.numberType()) {
          case INT -> g.writeNumber(node.intValue());
          case LONG -> g.writeNumber(node.longValue());
          case BIG_INTEGER -> g.writeNumber(node.bigIntegerValue());
          case FLOAT -> g.writeNumber(node.floatValue());
          case BIG_DECIMAL -> g.writeNumber(node.decimalValue());
          default -> g.writeNumber(node.doubleValue());
        }
      }
      case BOOLEAN -> g.writeBoolean(node.booleanValue());
      case NULL, MISSING -> g.writeNull();
      default -> throw new IllegalArgumentException("cannot write a JSON " + node.getNodeType() + " node");
    }
  }
}
