package io.jflannel.backend.vxlan;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jflannel.netlink.MacAddress;
import java.util.Optional;

/**
 * The vxlan backend data a node publishes: {@code {"VNI":1,"VtepMAC":"2a:95:ed:10:e4:56"}}
 * (these exact key names; peers running upstream flannel read them).
 *
 * @param vni the VNI
 * @param mac the VTEP (device) MAC
 */
public record VtepData(int vni, MacAddress mac) {
  /** The JSON object, keys in upstream's order. */
  public JsonNode toJson() {
    ObjectNode o = JsonNodeFactory.instance.objectNode();
    o.put("VNI", vni);
    o.put("VtepMAC", mac.toString());
    return o;
  }

  /**
   * The VTEP MAC of a peer's backend data.
   *
   * @throws IllegalArgumentException saying what is missing or malformed
   */
  public static MacAddress vtepMac(JsonNode data) {
    if (data == null || !data.isObject()) {
      throw new IllegalArgumentException("backend data " + data + " is not a JSON object");
    }
    JsonNode m = data.get("VtepMAC");
    if (m == null || m.isNull()) {
      throw new IllegalArgumentException("backend data has no VtepMAC");
    }
    if (!m.isTextual()) {
      throw new IllegalArgumentException("VtepMAC " + m + " is not a string");
    }
    return MacAddress.parse(m.asText());
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
