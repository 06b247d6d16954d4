package io.jflannel.backend.udp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.jflannel.backend.BackendException;
import org.junit.jupiter.api.Test;

class UdpOptionsTest {
  static final ObjectMapper JSON = new ObjectMapper();

  static UdpOptions parse(String json) throws Exception {
    return UdpOptions.parse(JSON.readTree(json));
  }

  @Test
  void portDefaultsTo8285AndKeysIgnoreCase() throws Exception {
    assertEquals(8285, parse("{\"Type\":\"udp\"}").port());
    assertEquals(8285, parse("{\"Type\":\"udp\",\"Port\":null}").port());
    assertEquals(8285, UdpOptions.parse(null).port());
    assertEquals(9000, parse("{\"Type\":\"udp\",\"port\":9000}").port());
    assertEquals(1, parse("{\"PORT\":1}").port());
    assertEquals(65535, parse("{\"Port\":65535}").port());
  }

  @Test
  void aBadPortIsRefusedNamingTheOptionAndTheValue() {
    for (String bad : new String[] {"0", "-1", "65536", "\"8285\"", "8285.5", "true", "[8285]", "99999999999999999999"}) {
      BackendException e = assertThrows(BackendException.class, () -> parse("{\"Type\":\"udp\",\"Port\":" + bad + "}"));
      assertEquals("udp backend option \"Port\" must be an integer 1..65535, got " + bad, e.getMessage());
    }
    BackendException e = assertThrows(BackendException.class, () -> UdpOptions.parse(JSON.valueToTree("udp")));
    assertEquals("udp backend config must be a JSON object, got \"udp\"", e.getMessage());
  }

  @Test
  void mtuLeavesRoomForTheOuterIpAndUdpHeaders() throws Exception {
    assertEquals(1472, UdpOptions.deviceMtu(1500));
    assertEquals(8972, UdpOptions.deviceMtu(9000));
    assertEquals(68, UdpOptions.deviceMtu(96));
    BackendException e = assertThrows(BackendException.class, () -> UdpOptions.deviceMtu(95));
    assertEquals("udp: underlay MTU 95 leaves 67 bytes for pods, below the IPv4 minimum of 68", e.getMessage());
  }

  /** The labels of flannel_udp_dropped_packets_total, which the daemon starts at zero by these names. */
  @Test
  void dropReasonsAreTheMetricsLabels() {
    assertEquals(java.util.List.of("no_route", "ttl", "malformed", "not_ipv4", "send_error", "write_error"),
        java.util.Arrays.stream(PacketForwarder.Drop.values()).map(PacketForwarder.Drop::label).toList());
  }
}
