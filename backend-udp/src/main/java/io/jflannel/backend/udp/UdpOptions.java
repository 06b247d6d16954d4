package io.jflannel.backend.udp;

import com.fasterxml.jackson.databind.JsonNode;
import io.jflannel.backend.BackendException;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;

/**
 * The udp backend options of net-conf.json's {@code Backend} object, keys matched
 * case-insensitively as flannel does.
 *
 * @param port {@code Port}: the UDP port every node listens on and sends to (default 8285)
 */
public record UdpOptions(int port) {
  public static final int DEFAULT_PORT = 8285;
  /** Outer IPv4 header (20) and UDP header (8). */
  public static final int IPV4_OVERHEAD = 28;

  /**
   * Reads the options; a missing or null object, or a null {@code Port}, gives the default.
   *
   * @throws BackendException naming the option and what is wrong with its value
   */
  public static UdpOptions parse(JsonNode backend) throws BackendException {
    int port = DEFAULT_PORT;
    if (backend != null && backend.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = backend.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> f = it.next();
        if (f.getKey().toLowerCase(Locale.ROOT).equals("port")) {
          JsonNode v = f.getValue();
          if (v == null || v.isNull()) {
            continue;
          }
          // 0 would listen on a random port while every peer sends to port 0: nothing arrives.
          if (!v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < 1 || v.asLong() > 65535) {
            throw new BackendException("udp backend option \"" + f.getKey() + "\" must be an integer 1..65535, got "
                + v);
          }
          port = v.asInt();
        }
      }
    } else if (backend != null && !backend.isNull() && !backend.isMissingNode()) {
      throw new BackendException("udp backend config must be a JSON object, got " + backend);
    }
    return new UdpOptions(port);
  }

  /**
   * The device (and pod) MTU: the underlay MTU minus the outer IPv4 and UDP headers.
   *
   * @throws BackendException when the result is below the IPv4 minimum of 68
   */
  public static int deviceMtu(int interfaceMtu) throws BackendException {
    int mtu = interfaceMtu - IPV4_OVERHEAD;
    if (mtu < 68) {
      throw new BackendException("udp: underlay MTU " + interfaceMtu + " leaves " + mtu
          + " bytes for pods, below the IPv4 minimum of 68");
    }
    return mtu;
  }
}
