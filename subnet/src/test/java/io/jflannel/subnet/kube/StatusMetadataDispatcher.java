package io.jflannel.subnet.kube;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.Buffer;
import io.fabric8.mockwebserver.http.Headers;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.zjsonpatch.JsonPatch;
import io.fabric8.zjsonpatch.JsonPatchException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Test-only CRUD dispatcher that handles patches of {@code nodes/<name>/status} the way a real
 * API server does: the patch is applied to the whole object, and the result keeps the new
 * {@code status} and the new {@code metadata.annotations}/{@code labels}, while {@code spec}
 * changes are ignored. The stock mock keeps only the status (see the shared environment notes),
 * which would hide the annotations flannel writes through the status subresource.
 *
 * <p>Also records every write request the client sends, for assertions.
 */
final class StatusMetadataDispatcher extends KubernetesCrudDispatcher {

  /** A write request as the client sent it. */
  record Write(String method, String path, String contentType, String body) {
    boolean is(String m, String p) {
      return method.equals(m) && path.equals(p);
    }
  }

  private static final Pattern NODE_STATUS =
      Pattern.compile("^/api/v1/nodes/([^/?]+)/status(?:\\?.*)?$");
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Any request (reads included), path with its query, as the client sent it. */
  record Request(String method, String path) {}

  private final List<Write> writes = new CopyOnWriteArrayList<>();
  private final List<Request> requests = new CopyOnWriteArrayList<>();
  private volatile boolean recording = true;
  private volatile boolean forbidNodeList;
  private volatile boolean forbidNodeWatch;
  private volatile boolean pageNodeLists;
  private final java.util.concurrent.atomic.AtomicReference<java.util.function.Consumer<ObjectNode>>
      beforeNextStatusPatch = new java.util.concurrent.atomic.AtomicReference<>();

  @Override
  public MockResponse dispatch(RecordedRequest request) {
    if ("GET".equals(request.getMethod()) && request.getPath().startsWith("/api/v1/nodes?")) {
      boolean watch = request.getPath().contains("watch=true");
      if (watch ? forbidNodeWatch : forbidNodeList) {
        String verb = watch ? "watch" : "list";
        return status(403, "nodes is forbidden: User \"system:serviceaccount:kube-flannel:flannel\""
            + " cannot " + verb + " resource \"nodes\" in API group \"\" at the cluster scope");
      }
    }
    if (recording) {
      requests.add(new Request(request.getMethod(), request.getPath()));
    }
    if (pageNodeLists && "GET".equals(request.getMethod()) && request.getPath().startsWith("/api/v1/nodes?")
        && !request.getPath().contains("watch=true")) {
      return nodeListPage(request.getPath());
    }
    if (recording && !"GET".equals(request.getMethod())) {
      byte[] body = request.getBody() == null ? new byte[0] : request.getBody().getBytes();
      String path = request.getPath();
      int q = path.indexOf('?');
      writes.add(new Write(request.getMethod(), q < 0 ? path : path.substring(0, q),
          request.getHeader("Content-Type"), new String(body, StandardCharsets.UTF_8)));
    }
    return super.dispatch(request);
  }

  @Override
  public MockResponse handlePatch(RecordedRequest request) {
    Matcher m = NODE_STATUS.matcher(request.getPath());
    if (!m.matches()) {
      return super.handlePatch(request);
    }
    String mainPath = "/api/v1/nodes/" + m.group(1);
    java.util.function.Consumer<ObjectNode> race = beforeNextStatusPatch.getAndSet(null);
    if (race != null) {
      simulateOtherWriter(mainPath, race);
    }
    MockResponse current = handleGet(mainPath);
    if (current.code() != 200) {
      return current;
    }
    try {
      JsonNode before = JSON.readTree(current.getBody().getBytes());
      JsonNode patch = JSON.readTree(request.getBody().getBytes());
      String type = String.valueOf(request.getHeader("Content-Type"));
      JsonNode patched;
      if (type.startsWith("application/json-patch+json")) {
        patched = JsonPatch.apply(patch, before.deepCopy());
      } else if (type.startsWith("application/merge-patch+json")) {
        patched = mergePatch(before.deepCopy(), patch);
      } else {
        return status(415, "unsupported patch type " + type);
      }
      ObjectNode result = (ObjectNode) before.deepCopy();
      ObjectNode meta = (ObjectNode) result.get("metadata");
      for (String field : List.of("annotations", "labels")) {
        JsonNode v = patched.path("metadata").get(field);
        if (v == null || v.isNull()) {
          meta.remove(field);
        } else {
          meta.set(field, v);
        }
      }
      if (patched.has("status")) {
        result.set("status", patched.get("status"));
      }
      Headers headers = Headers.builder().add("Content-Type", "application/json").build();
      Buffer body = new Buffer(JSON.writeValueAsBytes(result));
      return handleUpdate(new RecordedRequest("HTTP/1.1", HttpMethod.PUT, mainPath, headers, body));
    } catch (JsonPatchException e) {
      // What the API server answers when a "test" operation fails.
      return status(422, e.getMessage());
    } catch (IOException e) {
      return status(400, e.getMessage());
    }
  }

  /** Every write request (non-GET) received so far. */
  List<Write> writes() {
    return List.copyOf(writes);
  }

  /**
   * Makes another writer (say, the kubelet) change the node right before the next status patch
   * is applied, as if it had won a race against the reader of that patch.
   */
  void raceNextStatusPatch(java.util.function.Consumer<ObjectNode> otherWriter) {
    beforeNextStatusPatch.set(otherWriter);
  }

  private void simulateOtherWriter(String mainPath, java.util.function.Consumer<ObjectNode> change) {
    try {
      ObjectNode node = (ObjectNode) JSON.readTree(handleGet(mainPath).getBody().getBytes());
      change.accept(node);
      Headers headers = Headers.builder().add("Content-Type", "application/json").build();
      handleUpdate(new RecordedRequest("HTTP/1.1", HttpMethod.PUT, mainPath, headers,
          new Buffer(JSON.writeValueAsBytes(node))));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Answers node lists with 403, as an API server does when RBAC lacks {@code nodes: list}. */
  void forbidNodeList() {
    forbidNodeList = true;
  }

  /** Answers node lists normally again after {@link #forbidNodeList()}. */
  void allowNodeList() {
    forbidNodeList = false;
  }

  /** Answers node watches with 403 (RBAC without {@code nodes: watch}), or normally again. */
  void forbidNodeWatch(boolean forbid) {
    forbidNodeWatch = forbid;
  }

  /**
   * Answers node lists that carry {@code limit} one page at a time, as an API server does: at
   * most {@code limit} Nodes by name, and a {@code continue} token (the last name) while more
   * follow. The stock mock ignores {@code limit} and {@code continue} and returns everything.
   */
  void pageNodeLists() {
    pageNodeLists = true;
  }

  private MockResponse nodeListPage(String path) {
    Map<String, String> query = new java.util.HashMap<>();
    for (String kv : path.substring(path.indexOf('?') + 1).split("&")) {
      int eq = kv.indexOf('=');
      if (eq > 0) {
        query.put(kv.substring(0, eq), java.net.URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8));
      }
    }
    MockResponse all = handleGet("/api/v1/nodes");
    if (!query.containsKey("limit") || all.code() != 200) {
      return all;
    }
    try {
      ObjectNode list = (ObjectNode) JSON.readTree(all.getBody().getBytes());
      List<JsonNode> items = new java.util.ArrayList<>();
      list.withArray("items").forEach(items::add);
      items.sort(java.util.Comparator.comparing(n -> n.path("metadata").path("name").asText()));
      String after = query.getOrDefault("continue", "");
      List<JsonNode> rest = items.stream()
          .filter(n -> n.path("metadata").path("name").asText().compareTo(after) > 0).toList();
      int limit = Integer.parseInt(query.get("limit"));
      List<JsonNode> page = rest.subList(0, Math.min(limit, rest.size()));
      list.putArray("items").addAll(page);
      ObjectNode meta = list.with("metadata");
      if (rest.size() > page.size()) {
        meta.put("continue", page.get(page.size() - 1).path("metadata").path("name").asText());
        meta.put("remainingItemCount", rest.size() - page.size());
      } else {
        meta.remove("continue");
        meta.remove("remainingItemCount");
      }
      return new MockResponse().setResponseCode(200).setBody(JSON.writeValueAsString(list));
    } catch (IOException e) {
      return status(500, e.getMessage());
    }
  }

  /** Runs {@code setup} (blocking client calls) without recording its writes. */
  void untracked(Runnable setup) {
    recording = false;
    try {
      setup.run();
    } finally {
      recording = true;
    }
  }

  /** Every request received while recording, reads included. */
  List<Request> requests() {
    return List.copyOf(requests);
  }

  /** Forgets recorded writes. */
  void clearWrites() {
    writes.clear();
  }

  private static JsonNode mergePatch(JsonNode target, JsonNode patch) {
    if (!patch.isObject()) {
      return patch;
    }
    ObjectNode out = target != null && target.isObject() ? (ObjectNode) target : JSON.createObjectNode();
    Iterator<Map.Entry<String, JsonNode>> it = patch.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      if (e.getValue().isNull()) {
        out.remove(e.getKey());
      } else {
        out.set(e.getKey(), mergePatch(out.get(e.getKey()), e.getValue()));
      }
    }
    return out;
  }

  private static MockResponse status(int code, String message) {
    ObjectNode s = JSON.createObjectNode();
    s.put("apiVersion", "v1").put("kind", "Status").put("status", "Failure")
        .put("message", message).put("code", code);
    return new MockResponse().setResponseCode(code).setBody(s.toString());
  }
}
