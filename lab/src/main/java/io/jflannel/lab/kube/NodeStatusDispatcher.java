package io.jflannel.lab.kube;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.Buffer;
import io.fabric8.mockwebserver.http.Headers;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The fabric8 CRUD dispatcher, changed where it differs from a real API server in a way
 * flanneld depends on: a write to {@code nodes/<n>/status} also applies the annotations and
 * labels it carries (a real server keeps metadata changes made through the node status
 * subresource; the stock mock drops them), and a strategic-merge patch of a node's status
 * is accepted (the stock mock answers 415), merging {@code status.conditions} and
 * {@code status.addresses} by {@code type} the way the real server's patch strategy does.
 */
public class NodeStatusDispatcher extends KubernetesCrudDispatcher {
  private static final Pattern NODE_STATUS =
      Pattern.compile("^/api/v1/nodes/([^/?]+)/status(\\?.*)?$");
  private static final String MERGE_PATCH = "application/merge-patch+json";
  private static final String JSON_PATCH = "application/json-patch+json";
  private static final String STRATEGIC_PATCH = "application/strategic-merge-patch+json";
  private static final ObjectMapper JSON = new ObjectMapper();

  @Override
  public MockResponse handlePatch(RecordedRequest request) {
    Matcher m = NODE_STATUS.matcher(request.getPath());
    if (!m.matches()) {
      return super.handlePatch(request);
    }
    String node = m.group(1);
    String type = contentType(request);
    JsonNode body;
    try {
      body = JSON.readTree(request.getUtf8Body());
    } catch (JsonProcessingException e) {
      return error(400, "patch body is not JSON: " + e.getOriginalMessage());
    }
    RecordedRequest statusRequest = request;
    if (type.startsWith(STRATEGIC_PATCH)) {
      JsonNode current = currentNode(node);
      if (current == null) {
        return error(404, "nodes \"" + node + "\" not found");
      }
      body = StrategicNodeStatus.toMergePatch(current, body);
      type = MERGE_PATCH;
      statusRequest = rebuild(request, HttpMethod.PATCH, request.getPath(), MERGE_PATCH, body);
    }
    MockResponse status = super.handlePatch(statusRequest);
    if (status.code() >= 300) {
      return status;
    }
    JsonNode metadataPatch = type.startsWith(JSON_PATCH) ? metadataOps(body) : metadataMerge(body);
    if (metadataPatch == null) {
      return status;
    }
    String patchType = type.startsWith(JSON_PATCH) ? JSON_PATCH : MERGE_PATCH;
    return super.handlePatch(
        rebuild(request, HttpMethod.PATCH, "/api/v1/nodes/" + node, patchType, metadataPatch));
  }

  @Override
  public MockResponse handleUpdate(RecordedRequest request) {
    Matcher m = NODE_STATUS.matcher(request.getPath());
    if (!m.matches()) {
      return super.handleUpdate(request);
    }
    MockResponse status = super.handleUpdate(request);
    if (status.code() >= 300) {
      return status;
    }
    JsonNode body;
    try {
      body = JSON.readTree(request.getUtf8Body());
    } catch (JsonProcessingException e) {
      return status;
    }
    // A PUT replaces annotations and labels wholesale, as on a real server.
    ArrayNode ops = JSON.createArrayNode();
    for (String field : new String[] {"annotations", "labels"}) {
      JsonNode value = body.path("metadata").path(field);
      ops.addObject().put("op", "add").put("path", "/metadata/" + field)
          .set("value", value.isObject() ? value : JSON.createObjectNode());
    }
    return super.handlePatch(rebuild(request, HttpMethod.PATCH, "/api/v1/nodes/" + m.group(1),
        JSON_PATCH, ops));
  }

  private JsonNode currentNode(String node) {
    MockResponse r = super.handleGet("/api/v1/nodes/" + node);
    if (r.code() != 200) {
      return null;
    }
    try {
      return JSON.readTree(new String(r.getBody().getBytes(), StandardCharsets.UTF_8));
    } catch (JsonProcessingException e) {
      return null;
    }
  }

  /** The annotations/labels part of a merge patch, as a merge patch of the main object. */
  static JsonNode metadataMerge(JsonNode body) {
    JsonNode md = body.path("metadata");
    if (!md.isObject()) {
      return null;
    }
    ObjectNode out = JSON.createObjectNode();
    ObjectNode outMd = out.putObject("metadata");
    for (String field : new String[] {"annotations", "labels"}) {
      if (md.has(field)) {
        outMd.set(field, md.get(field));
      }
    }
    return outMd.isEmpty() ? null : out;
  }

  /** The operations of a JSON patch that touch annotations or labels. */
  static JsonNode metadataOps(JsonNode body) {
    if (!body.isArray()) {
      return null;
    }
    ArrayNode out = JSON.createArrayNode();
    for (JsonNode op : body) {
      String path = op.path("path").asText("");
      if (path.startsWith("/metadata/annotations") || path.startsWith("/metadata/labels")) {
        out.add(op);
      }
    }
    return out.isEmpty() ? null : out;
  }

  private static RecordedRequest rebuild(RecordedRequest original, HttpMethod method, String path,
      String contentType, JsonNode body) {
    Headers.Builder headers = Headers.builder();
    for (Map.Entry<String, java.util.List<String>> h : original.getHeaders().toMultimap().entrySet()) {
      if (h.getKey().equalsIgnoreCase("Content-Type")
          || h.getKey().equalsIgnoreCase("Content-Length")) {
        continue;
      }
      for (String v : h.getValue()) {
        headers.add(h.getKey(), v);
      }
    }
    headers.add("Content-Type", contentType);
    byte[] bytes = body.toString().getBytes(StandardCharsets.UTF_8);
    return new RecordedRequest(original.getHttpVersion(), method, path, headers.build(),
        new Buffer(bytes));
  }

  private static String contentType(RecordedRequest request) {
    String t = request.getHeader("Content-Type");
    return t == null ? "" : t.toLowerCase(java.util.Locale.ROOT);
  }

  private static MockResponse error(int code, String message) {
    ObjectNode status = JSON.createObjectNode();
    status.put("apiVersion", "v1").put("kind", "Status").put("status", "Failure")
        .put("message", message).put("code", code);
    return new MockResponse().setResponseCode(code).setBody(status.toString());
  }

}
