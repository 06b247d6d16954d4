package io.jflannel.subnet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import java.net.InetAddress;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class LeaseAttrsJsonTest {
  private static final ObjectMapper M = new ObjectMapper();

  /** Values exactly as upstream flanneld writes them to etcd. */
  @ParameterizedTest
  @ValueSource(strings = {
      "{\"PublicIP\":\"192.168.64.3\",\"PublicIPv6\":null,\"BackendType\":\"vxlan\",\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"c6:d2:32:6f:8f:44\"}}",
      "{\"PublicIP\":\"10.0.0.5\",\"PublicIPv6\":null,\"BackendType\":\"host-gw\"}",
      "{\"PublicIP\":\"192.168.64.3\",\"PublicIPv6\":\"fc00::3\",\"BackendType\":\"vxlan\",\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"c6:d2:32:6f:8f:44\"},\"BackendV6Data\":{\"VNI\":1,\"VtepMAC\":\"2a:95:ed:10:e4:56\"}}",
      "{\"PublicIP\":\"0.0.0.0\",\"PublicIPv6\":\"2001:db8:0:1::5\",\"BackendType\":\"vxlan\",\"BackendV6Data\":{\"VNI\":1,\"VtepMAC\":\"2a:95:ed:10:e4:56\"}}",
      "{\"PublicIP\":\"10.0.0.5\",\"PublicIPv6\":null,\"BackendType\":\"host-gw\",\"BackendData\":null}",
      "{\"PublicIP\":\"10.0.0.5\",\"PublicIPv6\":null}",
  })
  void roundTripsUpstreamValuesByteForByte(String upstream) {
    assertEquals(upstream, LeaseAttrsJson.write(LeaseAttrsJson.read(upstream)));
  }

  @Test
  void writesTheUpstreamShape() throws Exception {
    LeaseAttrs a = new LeaseAttrs(InetAddress.getByName("192.168.64.3"), null, "vxlan",
        M.readTree("{\"VNI\":1,\"VtepMAC\":\"c6:d2:32:6f:8f:44\"}"), null);
    assertEquals("{\"PublicIP\":\"192.168.64.3\",\"PublicIPv6\":null,\"BackendType\":\"vxlan\","
        + "\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"c6:d2:32:6f:8f:44\"}}", LeaseAttrsJson.write(a));
  }

  @Test
  void writesCanonicalIpv6AndTheZeroIpv4ForIpv6OnlyNodes() throws Exception {
    LeaseAttrs a = new LeaseAttrs(null, InetAddress.getByName("FC00:0000:0:1:0:0:0:0"), "host-gw", null, null);
    assertEquals("{\"PublicIP\":\"0.0.0.0\",\"PublicIPv6\":\"fc00:0:0:1::\",\"BackendType\":\"host-gw\"}",
        LeaseAttrsJson.write(a));
    // Go's net.IP.String never compresses a single zero group
    assertEquals("2001:db8:0:1:1:1:1:1", IpLiteral.format(InetAddress.getByName("2001:db8:0:1:1:1:1:1")));
  }

  @Test
  void backendDataIsCompactedAndKeyOrderKept() throws Exception {
    LeaseAttrs a = LeaseAttrsJson.read("{ \"PublicIP\" : \"10.1.1.1\",\n \"BackendType\":\"vxlan\", "
        + "\"BackendData\": { \"VtepMAC\" : \"c6:d2:32:6f:8f:44\", \"VNI\" : 7 } }");
    assertEquals("{\"PublicIP\":\"10.1.1.1\",\"PublicIPv6\":null,\"BackendType\":\"vxlan\","
        + "\"BackendData\":{\"VtepMAC\":\"c6:d2:32:6f:8f:44\",\"VNI\":7}}", LeaseAttrsJson.write(a));
  }

  @Test
  void readsFieldsIntoTheRecord() throws Exception {
    LeaseAttrs a = LeaseAttrsJson.read("{\"PublicIP\":\"192.168.64.3\",\"PublicIPv6\":\"fc00::3\","
        + "\"BackendType\":\"vxlan\",\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"c6:d2:32:6f:8f:44\"}}");
    assertEquals(InetAddress.getByName("192.168.64.3"), a.publicIp());
    assertEquals(InetAddress.getByName("fc00::3"), a.publicIpv6());
    assertEquals("vxlan", a.backendType());
    assertEquals("c6:d2:32:6f:8f:44", a.backendData().get("VtepMAC").asText());
    assertNull(a.backendV6Data());
  }

  @Test
  void readingIsLenientAboutCaseAndMissingKeys() throws Exception {
    LeaseAttrs a = LeaseAttrsJson.read("{\"publicip\":\"10.0.0.1\",\"backendtype\":\"host-gw\",\"Extra\":5}");
    assertEquals(InetAddress.getByName("10.0.0.1"), a.publicIp());
    assertNull(a.publicIpv6());
    assertEquals("host-gw", a.backendType());
    assertNull(a.backendData());
    LeaseAttrs empty = LeaseAttrsJson.read("{}");
    assertNull(empty.publicIp());
    assertEquals("", empty.backendType());
    assertEquals(NullNode.getInstance(), LeaseAttrsJson.read("{\"BackendData\":null}").backendData());
    assertNull(LeaseAttrsJson.read("{\"PublicIP\":\"0.0.0.0\"}").publicIp());
  }

  @Test
  void rejectsWrongTypesAndBadAddressesNamingTheKey() {
    assertError("{\"PublicIP\":5}", "PublicIP", "5");
    assertError("{\"PublicIP\":\"10.0.0.300\"}", "PublicIP", "10.0.0.300");
    assertError("{\"PublicIP\":\"fc00::1\"}", "PublicIP", "IPv4");
    assertError("{\"PublicIP\":\"10.0.0.0/8\"}", "PublicIP", "10.0.0.0/8");
    assertError("{\"PublicIP\":\"example.com\"}", "PublicIP", "example.com");
    assertError("{\"PublicIPv6\":\"10.0.0.1\"}", "PublicIPv6", "IPv6");
    assertError("{\"PublicIPv6\":[]}", "PublicIPv6", "array");
    assertError("{\"BackendType\":true}", "BackendType", "true");
    assertError("[]", "object");
    assertError("\"x\"", "object");
    assertError("", "empty");
    assertError("{\"PublicIP\":", "JSON");
    assertError("{\"PublicIP\":\"10.0.0.1\",\"publicip\":\"10.0.0.2\"}", "PublicIP", "publicip");
    // strict addresses (decision 0900): what upstream's net.ParseIP refuses, or reads as another address
    assertError("{\"PublicIP\":\" 192.0.2.5\"}", "PublicIP", "whitespace");
    assertError("{\"PublicIP\":\"192.0.2.5\\n\"}", "PublicIP", "\\u000a");
    assertError("{\"PublicIP\":\"192.0.2.05\"}", "PublicIP", "leading zero");
    assertError("{\"PublicIP\":\"192.0.517\"}", "PublicIP", "192.0.517");
    assertError("{\"PublicIP\":\"\"}", "PublicIP", "empty");
    assertError("{\"PublicIPv6\":\"::ffff:192.0.2.5\"}", "PublicIPv6", "IPv4-mapped");
    assertError("{\"PublicIPv6\":\"fe80::1%eth0\"}", "PublicIPv6", "zone");
  }

  private static void assertError(String json, String... parts) {
    String msg = assertThrows(IllegalArgumentException.class, () -> LeaseAttrsJson.read(json)).getMessage();
    for (String p : parts) {
      assertTrue(msg.contains(p), () -> "expected \"" + p + "\" in: " + msg);
    }
  }

  /** A lease without a type (upstream's udp and alloc) reads back equal to what was published. */
  @Test
  void aLeaseWithoutATypeRoundTrips() throws Exception {
    LeaseAttrs published = new LeaseAttrs(InetAddress.getByName("192.0.2.1"), null, "", null, null);
    String value = LeaseAttrsJson.write(published);
    assertEquals("{\"PublicIP\":\"192.0.2.1\",\"PublicIPv6\":null}", value);
    assertEquals(published, LeaseAttrsJson.read(value));
  }
}
