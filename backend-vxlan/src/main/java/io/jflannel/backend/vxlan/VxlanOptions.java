package io.jflannel.backend.vxlan;

import com.fasterxml.jackson.databind.JsonNode;
import io.jflannel.backend.BackendException;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;

/**
 * The vxlan backend options of net-conf.json's {@code Backend} object, keys matched
 * case-insensitively as flannel does.
 *
 * @param vni           {@code VNI} (default 1)
 * @param port          {@code Port}, 0 = kernel default (8472)
 * @param underlayMtu   {@code MTU}: the underlay MTU to assume, 0 = the external interface's
 * @param gbp           {@code GBP}
 * @param learning      {@code Learning}
 * @param directRouting {@code DirectRouting}
 */
public record VxlanOptions(int vni, int port, int underlayMtu, boolean gbp, boolean learning, boolean directRouting) {
  /** VXLAN over IPv4 adds 50 bytes: outer IPv4 (20) + UDP (8) + VXLAN (8) + inner Ethernet (14). */
  public static final int IPV4_OVERHEAD = 50;
  public static final VxlanOptions DEFAULTS = new VxlanOptions(1, 0, 0, false, false, false);

  /**
   * Reads the options; a missing or null object gives the defaults.
   *
   * @throws BackendException naming the option and what is wrong with its value
   */
  public static VxlanOptions parse(JsonNode backend) throws BackendException {
    int vni = 1;
    int port = 0;
    int mtu = 0;
    boolean gbp = false;
    boolean learning = false;
    boolean direct = false;
    if (backend != null && backend.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = backend.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> f = it.next();
        String key = f.getKey();
        JsonNode v = f.getValue();
        switch (key.toLowerCase(Locale.ROOT)) {
          case "vni" -> vni = integer(key, v, 0, 0xFF_FFFF);
          case "port" -> port = integer(key, v, 0, 65535);
          case "mtu" -> mtu = integer(key, v, 0, 65535);
          case "gbp" -> gbp = bool(key, v);
          case "learning" -> learning = bool(key, v);
          case "directrouting" -> direct = bool(key, v);
          default -> {
            // Type and options of other backends: not ours to judge.
          }
        }
      }
    } else if (backend != null && !backend.isNull() && !backend.isMissingNode()) {
      throw new BackendException("vxlan backend config must be a JSON object, got " + backend);
    }
    return new VxlanOptions(vni, port, mtu, gbp, learning, direct);
  }

  private static int integer(String key, JsonNode v, int min, int max) throws BackendException {
    if (v == null || v.isNull()) {
      return key.equalsIgnoreCase("vni") ? 1 : 0;
    }
    if (!v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < min || v.asLong() > max) {
      throw new BackendException("vxlan backend option \"" + key + "\" must be an integer " + min + ".." + max
          + ", got " + v);
    }
    return v.asInt();
  }

  private static boolean bool(String key, JsonNode v) throws BackendException {
    if (v == null || v.isNull()) {
      return false;
    }
    if (!v.isBoolean()) {
      throw new BackendException("vxlan backend option \"" + key + "\" must be true or false, got " + v);
    }
    return v.asBoolean();
  }

  /** The device name, {@code flannel.<VNI>}. */
  public String deviceName() {
    return "flannel." + vni;
  }

  /**
   * The device (and pod) MTU: the underlay MTU minus the VXLAN overhead.
   *
   * @throws BackendException when the result is below the IPv4 minimum of 68
   */
  public int deviceMtu(int interfaceMtu) throws BackendException {
    int underlay = underlayMtu > 0 ? underlayMtu : interfaceMtu;
    int mtu = underlay - IPV4_OVERHEAD;
    if (mtu < 68) {
      throw new BackendException("vxlan: underlay MTU " + underlay + " leaves " + mtu
          + " bytes for pods, below the IPv4 minimum of 68");
    }
    return mtu;
  }
}
