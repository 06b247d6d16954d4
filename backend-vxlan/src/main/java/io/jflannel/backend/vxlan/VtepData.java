package io.jflannel.backend.vxlan;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jflannel.netlink.MacAddress;
import io.jflannel.subnet.JsonObjectView;
import java.util.Optional;

/**
 * The vxlan backend data a node publishes: {@code {"VNI":1,"VtepMAC":"2a:95:ed:10:e4:56"}}
 * (these exact key names; peers running upstream flannel read them).
 *
 * <p>Reading matches the keys case-insensitively, as upstream's Go decoder does and as the
 * rest of the lease is read ({@code {"vni":1,"vtepmac":"..."}} is the same data); two keys that
 * differ only by case are refused as ambiguous (docs/decisions/0900).
 *
 * @param vni the VNI
 * @param mac the VTEP (device) MAC
 */
public record VtepData(int vni, MacAddress mac) {
  private static final int MAX_VNI = 0xFF_FFFF;

  /** The JSON object, keys in upstream's order. */
  public JsonNode toJson() {
    ObjectNode o = JsonNodeFactory.instance.objectNode();
    o.put("VNI", vni);
    o.put("VtepMAC", mac.toString());
    return o;
  }

  /**
   * Reads a peer's backend data: the VTEP MAC as {@link #vtepMac} reads it, and the VNI when
   * present (0 when absent, as upstream's decoder leaves it), which must be an integer of
   * 24 bits.
   *
   * @throws IllegalArgumentException saying what is missing or malformed
   */
  public static VtepData read(JsonNode data) {
    JsonObjectView o = object(data);
    MacAddress mac = vtepMac(o);
    JsonNode v = o.get("VNI").orElse(null);
    if (v == null) {
      return new VtepData(0, mac);
    }
    if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < 0 || v.longValue() > MAX_VNI) {
      throw new IllegalArgumentException("VNI " + JsonObjectView.describe(v) + " is not an integer 0.." + MAX_VNI);
    }
    return new VtepData(v.intValue(), mac);
  }

  /**
   * The VTEP MAC of a peer's backend data: six pairs of hex digits separated by {@code :} or
   * by {@code -}, nothing around them.
   *
   * @throws IllegalArgumentException saying what is missing or malformed
   */
  public static MacAddress vtepMac(JsonNode data) {
    return vtepMac(object(data));
  }

  private static JsonObjectView object(JsonNode data) {
    if (data == null || !data.isObject()) {
      throw new IllegalArgumentException("backend data " + data + " is not a JSON object");
    }
    return JsonObjectView.of((ObjectNode) data, "backend data");
  }

  private static MacAddress vtepMac(JsonObjectView o) {
    JsonNode m = o.get("VtepMAC").orElse(null);
    if (m == null) {
      throw new IllegalArgumentException("backend data has no VtepMAC");
    }
    if (!m.isTextual()) {
      throw new IllegalArgumentException("VtepMAC " + m + " is not a string");
    }
    String text = m.textValue();
    if (!sixHexPairs(text)) {
      throw new IllegalArgumentException("VtepMAC " + m + " is not six pairs of hex digits separated by ':' or '-'");
    }
    return MacAddress.parse(text);
  }

  /** {@code xx:xx:xx:xx:xx:xx} or {@code xx-xx-xx-xx-xx-xx}, the forms Go's ParseMAC reads for 6 bytes. */
  private static boolean sixHexPairs(String t) {
    if (t.length() != 17) {
      return false;
    }
    char sep = t.charAt(2);
    if (sep != ':' && sep != '-') {
      return false;
    }
    for (int i = 0; i < 17; i++) {
      char c = t.charAt(i);
      boolean ok = i % 3 == 2 ? c == sep
          : c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F';
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  /** The MAC of our own earlier backend data, when it is present and usable as a VTEP address. */
  public static Optional<MacAddress> restorableMac(JsonNode data) {
    try {
      MacAddress m = vtepMac(data);
      return usable(m) ? Optional.of(m) : Optional.empty();
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /** Unicast and not all-zero. */
  public static boolean usable(MacAddress m) {
    return m.isUnicast() && !m.isZero();
  }
}
