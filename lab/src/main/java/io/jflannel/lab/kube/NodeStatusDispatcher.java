package io.jflannel.lab.kube;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.client.server.mock.KubernetesAttributesExtractor;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.mockwebserver.crud.Attribute;
import io.fabric8.mockwebserver.crud.AttributeSet;
import io.fabric8.mockwebserver.crud.AttributeType;
import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.Buffer;
import io.fabric8.mockwebserver.http.Headers;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.mockwebserver.http.Response;
import io.fabric8.mockwebserver.http.WebSocket;
import io.fabric8.mockwebserver.http.WebSocketListener;
import io.fabric8.zjsonpatch.JsonPatch;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The fabric8 CRUD dispatcher, changed where it differs from a real API server in ways
 * flanneld depends on. Writes to {@code nodes/<n>/status} (PATCH of any type, or PUT) are
 * handled as the real server's node-status strategy does: the write is applied to the whole
 * stored Node, then {@code spec} is reset to the stored one, so status <em>and</em> metadata
 * (annotations, labels) changes take effect. The stock mock instead drops the metadata,
 * appends to lists on a merge patch of status, and refuses strategic-merge patches (415).
 * Strategic-merge patches merge {@code status.conditions} and {@code status.addresses} by
 * their {@code type} key, as the real patch strategy for Node does.
 *
 * <p>Lookups by name ({@link #findResource}) compare the name before the whole attribute set,
 * so a create or get stays cheap with thousands of stored objects (benchmarks hold 5,000 Nodes).
 */
public class NodeStatusDispatcher extends KubernetesCrudDispatcher {
  private static final Pattern NODE_STATUS =
      Pattern.compile("^/api/v1/nodes/([^/?]+)/status(\\?.*)?$");
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * Same answer as the stock lookup (the first stored entry, in map order, whose attributes
   * satisfy the query), but when the query names the object, entries with another name are
   * skipped by one attribute comparison. The stock lookup checks every query attribute with a
   * linear search of each entry's attributes, which made a create cost milliseconds at 1,000
   * stored Nodes and populating 5,000 take over a minute on the mock's single event-loop thread.
   */
  @Override
  public Map.Entry<AttributeSet, String> findResource(AttributeSet query) {
    Attribute name = query.getAttribute(KubernetesAttributesExtractor.NAME);
    if (name == null || name.getType() != AttributeType.WITH) {
      return super.findResource(query);
    }
    // A WITH attribute is satisfied by an equal attribute (same key, same values), and an
    // entry holds at most one attribute per key: comparing that one is an exact pre-check.
    for (Map.Entry<AttributeSet, String> e : map.entrySet()) {
      if (name.equals(e.getKey().getAttribute(KubernetesAttributesExtractor.NAME))
          && e.getKey().matches(query)) {
        return e;
      }
    }
    return null;
  }

  /**
   * A watch from a resource version gets what changed after that version, as from a real API
   * server. The stock mock first sends every stored object as ADDED, whatever version was
   * asked for, so an informer parsed its whole first list a second time (5,000 Nodes in the
   * benchmarks). Objects stored with a newer version are still sent, so a change between the
   * list and the watch is not lost (the real server sends it as well). A watch without a
   * version, or from 0, gets every object first, as from a real server.
   */
  @Override
  public MockResponse handleWatch(String path) {
    MockResponse r = super.handleWatch(path);
    long since = watchedFromVersion(path);
    if (since <= 0 || r.getWebSocketListener() == null) {
      return r;
    }
    return r.withWebSocketUpgrade(new SinceVersion(r.getWebSocketListener(), since));
  }

  /** The {@code resourceVersion} query parameter of a watch, or 0 when absent or not a number. */
  static long watchedFromVersion(String path) {
    int q = path.indexOf('?');
    if (q < 0) {
      return 0;
    }
    for (String param : path.substring(q + 1).split("&")) {
      if (param.startsWith("resourceVersion=")) {
        try {
          return Long.parseLong(param.substring("resourceVersion=".length()));
        } catch (NumberFormatException e) {
          return 0;
        }
      }
    }
    return 0;
  }

  /**
   * The stock watch listener with its socket filtered: ADDED events of objects not newer than
   * {@code since} are dropped. The stock listener sends its opening replay of every stored
   * object from its own executor, so the filter cannot rely on when an event is sent (the
   * sends may run after {@code onOpen} returned); it relies on what a real API server
   * guarantees instead: a watch from a version never gets an object that is not newer. Only
   * events that name ADDED as their type are parsed; changes and deletions pass as they are.
   * Forwards the callbacks the stock listener handles, all with one socket wrapper.
   */
  static final class SinceVersion extends WebSocketListener {
    private final WebSocketListener delegate;
    private final long since;
    private volatile WebSocket filtered;

    SinceVersion(WebSocketListener delegate, long since) {
      this.delegate = delegate;
      this.since = since;
    }

    private WebSocket filtered(WebSocket ws) {
      WebSocket f = filtered;
      if (f == null) {
        f = new WebSocket() {
          @Override
          public RecordedRequest request() {
            return ws.request();
          }

          @Override
          public boolean send(String text) {
            return isOld(text) || ws.send(text);
          }

          @Override
          public boolean send(byte[] bytes) {
            return ws.send(bytes);
          }

          @Override
          public boolean close(int code, String reason) {
            return ws.close(code, reason);
          }
        };
        filtered = f;
      }
      return f;
    }

    private boolean isOld(String event) {
      if (!event.contains("\"ADDED\"")) {
        return false; // not an addition: no parse
      }
      try {
        JsonNode e = JSON.readTree(event);
        if (!"ADDED".equals(e.path("type").asText())) {
          return false;
        }
        String rv = e.path("object").path("metadata").path("resourceVersion").asText("");
        return !rv.isEmpty() && Long.parseLong(rv) <= since;
      } catch (IOException | NumberFormatException e) {
        return false;
      }
    }

    @Override
    public void onOpen(WebSocket ws, Response response) {
      delegate.onOpen(filtered(ws), response); // the stock listener queues its replay in here
    }

    @Override
    public void onClosing(WebSocket ws, int code, String reason) {
      delegate.onClosing(filtered(ws), code, reason);
    }

    @Override
    public void onClosed(WebSocket ws, int code, String reason) {
      delegate.onClosed(filtered(ws), code, reason);
    }

    @Override
    public void onFailure(WebSocket ws, Throwable t, Response response) {
      delegate.onFailure(filtered(ws), t, response);
    }
  }

  @Override
  public MockResponse handlePatch(RecordedRequest request) {
    Matcher m = NODE_STATUS.matcher(request.getPath());
    return m.matches() ? writeStatus(request, m.group(1), false) : super.handlePatch(request);
  }

  @Override
  public MockResponse handleUpdate(RecordedRequest request) {
    Matcher m = NODE_STATUS.matcher(request.getPath());
    return m.matches() ? writeStatus(request, m.group(1), true) : super.handleUpdate(request);
  }

  private MockResponse writeStatus(RecordedRequest request, String node, boolean put) {
    // Reading a request body consumes it: read it once.
    byte[] raw = request.getBody() == null ? new byte[0] : request.getBody().getBytes();
    JsonNode body;
    try {
      body = JSON.readTree(raw);
    } catch (IOException e) {
      return error(400, "BadRequest", "body is not JSON: " + e.getMessage());
    }
    if (body == null || body.isMissingNode()) {
      return error(400, "BadRequest", "empty body");
    }
    String path = "/api/v1/nodes/" + node;
    MockResponse got = super.handleGet(path);
    if (got.code() != 200) {
      return got;
    }
    ObjectNode current;
    try {
      current = (ObjectNode) JSON.readTree(new String(got.getBody().getBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      return error(500, "InternalError", "stored node is not JSON");
    }
    String rv = current.path("metadata").path("resourceVersion").asText();
    String wantRv = body.path("metadata").path("resourceVersion").asText("");
    if (!wantRv.isEmpty() && !wantRv.equals(rv)) {
      return error(409, "Conflict", "Operation cannot be fulfilled on nodes \"" + node
          + "\": the object has been modified; please apply your changes to the latest version");
    }
    JsonNode patched;
    try {
      patched = put ? body : applyPatch(contentType(request), current, body);
    } catch (RuntimeException e) {
      return error(422, "Invalid", "cannot apply patch: " + e.getMessage());
    }
    if (!patched.isObject()) {
      return error(422, "Invalid", "patched node is not an object");
    }
    ObjectNode result = current.deepCopy();
    ObjectNode md = (ObjectNode) result.get("metadata");
    for (String field : new String[] {"annotations", "labels"}) {
      JsonNode v = patched.path("metadata").path(field);
      if (v.isObject()) {
        md.set(field, v);
      } else {
        md.remove(field);
      }
    }
    md.put("resourceVersion", rv);
    if (patched.has("status")) {
      result.set("status", patched.get("status"));
    }
    return super.handleUpdate(new RecordedRequest(request.getHttpVersion(), HttpMethod.PUT, path,
        Headers.builder().add("Content-Type", "application/json").build(),
        new Buffer(result.toString().getBytes(StandardCharsets.UTF_8))));
  }

  /** Applies a PATCH body of the given content type to {@code current}. */
  static JsonNode applyPatch(String contentType, JsonNode current, JsonNode body) {
    if (contentType.startsWith("application/json-patch+json")) {
      return JsonPatch.apply(body, current);
    }
    if (contentType.startsWith("application/strategic-merge-patch+json")) {
      return mergePatch(current, StrategicNodeStatus.toMergePatch(current, body));
    }
    if (contentType.startsWith("application/merge-patch+json")) {
      return mergePatch(current, body);
    }
    throw new IllegalArgumentException("unsupported patch content type '" + contentType + "'");
  }

  /** RFC 7386 JSON merge patch. */
  static JsonNode mergePatch(JsonNode target, JsonNode patch) {
    if (!patch.isObject()) {
      return patch.deepCopy();
    }
    ObjectNode result = target != null && target.isObject() ? ((ObjectNode) target).deepCopy()
        : JSON.createObjectNode();
    patch.fields().forEachRemaining(e -> {
      if (e.getValue().isNull()) {
        result.remove(e.getKey());
      } else {
        result.set(e.getKey(), mergePatch(result.get(e.getKey()), e.getValue()));
      }
    });
    return result;
  }

  private static String contentType(RecordedRequest request) {
    String t = request.getHeader("Content-Type");
    return t == null ? "" : t.toLowerCase(Locale.ROOT);
  }

  private static MockResponse error(int code, String reason, String message) {
    ObjectNode status = JSON.createObjectNode();
    status.put("apiVersion", "v1").put("kind", "Status").put("status", "Failure")
        .put("message", message).put("reason", reason).put("code", code);
    return new MockResponse().setResponseCode(code).setBody(status.toString());
  }
}
