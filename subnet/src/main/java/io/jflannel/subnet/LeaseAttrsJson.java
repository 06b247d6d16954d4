package io.jflannel.subnet;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;

/**
 * The etcd lease value, byte-compatible with upstream flannel:
 * {@code {"PublicIP":"192.168.64.3","PublicIPv6":null,"BackendType":"vxlan","BackendData":{"VNI":1,"VtepMAC":"c6:d2:32:6f:8f:44"}}}.
 *
 * <p>Fields are written in upstream's order: {@code PublicIP} (always; {@code "0.0.0.0"} when
 * the node has no IPv4 address, as Go writes its zero value), {@code PublicIPv6} (always;
 * {@code null} when absent), {@code BackendType} (omitted when empty), {@code BackendData}
 * and {@code BackendV6Data} (each omitted when absent, written as {@code null} when it is a
 * JSON null). See docs/decisions/0301.
 *
 * <p>Reading accepts any key case, ignores unknown keys and treats missing keys as absent (as
 * Go's encoding/json does; a missing {@code BackendType} is the empty string), but a wrong JSON type or an address that {@link IpLiteral} does
 * not read (whitespace, leading zeros, an IPv4-mapped IPv6 address, ...) is an error naming
 * the key (docs/decisions/0900).
 */
public final class LeaseAttrsJson {
  private static final String UNSPECIFIED_V4 = "0.0.0.0";

  private LeaseAttrsJson() {}

  /** Encodes {@code attrs} as the etcd lease value. */
  public static String write(LeaseAttrs attrs) {
    StringWriter out = new StringWriter();
    try (JsonGenerator g = JsonTrees.generator(out)) {
      g.writeStartObject();
      g.writeStringField("PublicIP", attrs.publicIp() == null ? UNSPECIFIED_V4 : IpLiteral.format(attrs.publicIp()));
      if (attrs.publicIpv6() == null) {
        g.writeNullField("PublicIPv6");
      } else {
        g.writeStringField("PublicIPv6", IpLiteral.format(attrs.publicIpv6()));
      }
      if (attrs.backendType() != null && !attrs.backendType().isEmpty()) {
        g.writeStringField("BackendType", attrs.backendType());
      }
      if (attrs.backendDataJson() != null) {
        g.writeFieldName("BackendData");
        g.writeRawValue(attrs.backendDataJson()); // compact JSON already
      }
      if (attrs.backendV6DataJson() != null) {
        g.writeFieldName("BackendV6Data");
        g.writeRawValue(attrs.backendV6DataJson());
      }
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot encode lease attributes", e); // a StringWriter does not fail
    }
    return out.toString();
  }

  /**
   * Decodes an etcd lease value.
   *
   * @throws IllegalArgumentException naming the key and value when the document is not a JSON
   *     object, a key has the wrong JSON type or an address does not parse
   */
  public static LeaseAttrs read(String json) {
    if (json == null || json.isBlank()) {
      throw new IllegalArgumentException("lease value is empty");
    }
    JsonNode root;
    try {
      root = JsonTrees.read(json);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("lease value is not valid JSON: " + e.getOriginalMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException("lease value must be a JSON object, got "
          + (root == null ? "nothing" : JsonObjectView.describe(root)));
    }
    JsonObjectView obj = JsonObjectView.of((ObjectNode) root, "lease value");
    InetAddress v4 = address(obj, "PublicIP", Inet4Address.class);
    if (v4 != null && v4.isAnyLocalAddress()) {
      v4 = null; // Go's zero IP4: the node has no IPv4 address
    }
    InetAddress v6 = address(obj, "PublicIPv6", Inet6Address.class);
    // Absent is Go's empty string, which the writer omits (udp and alloc leases carry no type):
    // reading back what we wrote must give what we published.
    String type = "";
    JsonNode t = obj.get("BackendType").orElse(null);
    if (t != null) {
      if (!t.isTextual()) {
        throw new IllegalArgumentException("lease value: BackendType must be a string, got " + JsonObjectView.describe(t));
      }
      type = t.textValue();
    }
    return new LeaseAttrs(v4, v6, type, rawData(obj, "BackendData"), rawData(obj, "BackendV6Data"));
  }

  private static JsonNode rawData(JsonObjectView obj, String key) {
    if (!obj.has(key)) {
      return null;
    }
    return obj.get(key).orElse(NullNode.getInstance());
  }

  private static InetAddress address(JsonObjectView obj, String key, Class<? extends InetAddress> family) {
    JsonNode n = obj.get(key).orElse(null);
    if (n == null) {
      return null;
    }
    String familyName = family == Inet4Address.class ? "IPv4" : "IPv6";
    if (!n.isTextual()) {
      throw new IllegalArgumentException("lease value: " + key + " must be an " + familyName
          + " address string, got " + JsonObjectView.describe(n));
    }
    InetAddress a;
    try {
      a = IpLiteral.parse(n.textValue());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("lease value: " + key + " " + e.getMessage(), e);
    }
    if (!family.isInstance(a)) {
      throw new IllegalArgumentException("lease value: " + key + " " + IpLiteral.quote(n.textValue()) + " is not an "
          + familyName + " address");
    }
    return a;
  }
}
