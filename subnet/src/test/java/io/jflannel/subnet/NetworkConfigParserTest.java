package io.jflannel.subnet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class NetworkConfigParserTest {

  private static NetworkConfig parse(String json) throws ConfigException {
    return NetworkConfigParser.parse(json);
  }

  private static String error(String json) {
    return assertThrows(ConfigException.class, () -> NetworkConfigParser.parse(json)).getMessage();
  }

  private static void assertContainsAll(String message, String... parts) {
    for (String p : parts) {
      assertTrue(message.contains(p), () -> "expected \"" + p + "\" in: " + message);
    }
  }

  @Test
  void typicalKubeFlannelConfigGetsAllDefaults() throws Exception {
    NetworkConfig c = parse("{\"Network\": \"10.244.0.0/16\", \"Backend\": {\"Type\": \"vxlan\"}}");
    assertTrue(c.enableIpv4());
    assertFalse(c.enableIpv6());
    assertFalse(c.enableNftables());
    assertEquals(IpNet.parse("10.244.0.0/16"), c.network());
    assertEquals(24, c.subnetLen());
    assertEquals(IpNet.parse("10.244.1.0/24"), c.subnetMin());
    assertEquals(IpNet.parse("10.244.255.0/24"), c.subnetMax());
    assertNull(c.ipv6Network());
    assertNull(c.ipv6SubnetMin());
    assertEquals("vxlan", c.backend().type());
    assertEquals("vxlan", c.backend().options().get("Type").asText());
  }

  @Test
  void keysMatchCaseInsensitively() throws Exception {
    NetworkConfig c = parse("{\"network\":\"10.5.0.0/16\",\"SUBNETLEN\":26,\"enableipv6\":true,"
        + "\"ipv6network\":\"fc00::/48\",\"ipv6subnetlen\":80,\"enablenftables\":true,"
        + "\"backend\":{\"type\":\"HOST-GW\"}}");
    assertEquals(IpNet.parse("10.5.0.0/16"), c.network());
    assertEquals(26, c.subnetLen());
    assertEquals(IpNet.parse("10.5.0.64/26"), c.subnetMin());
    assertEquals(IpNet.parse("10.5.255.192/26"), c.subnetMax());
    assertTrue(c.enableIpv6());
    assertTrue(c.enableNftables());
    assertEquals(80, c.ipv6SubnetLen());
    assertEquals("host-gw", c.backend().type());
  }

  @ParameterizedTest
  @CsvSource({
      "10.0.0.0/8, 24, 10.0.1.0, 10.255.255.0",
      "10.244.0.0/22, 24, 10.244.1.0, 10.244.3.0",
      "10.244.0.0/23, 25, 10.244.0.128, 10.244.1.128",
      "10.244.0.0/26, 28, 10.244.0.16, 10.244.0.48",
      "10.244.0.0/28, 30, 10.244.0.4, 10.244.0.12",
  })
  void defaultSubnetLenAndBounds(String network, int len, String min, String max) throws Exception {
    NetworkConfig c = parse("{\"Network\":\"" + network + "\"}");
    assertEquals(len, c.subnetLen());
    assertEquals(IpNet.parse(min + "/" + len), c.subnetMin());
    assertEquals(IpNet.parse(max + "/" + len), c.subnetMax());
  }

  @Test
  void networkLongerThan28IsTooSmall() {
    assertContainsAll(error("{\"Network\":\"10.244.0.0/29\"}"), "Network", "10.244.0.0/29", "/28");
  }

  @Test
  void explicitSubnetLenOnSmallNetworkIsAcceptedAsUpstreamDoes() throws Exception {
    NetworkConfig c = parse("{\"Network\":\"10.244.0.0/28\",\"SubnetLen\":30}");
    assertEquals(30, c.subnetLen());
    assertEquals(IpNet.parse("10.244.0.4/30"), c.subnetMin());
    assertEquals(IpNet.parse("10.244.0.12/30"), c.subnetMax());
  }

  @Test
  void networkMustHoldAtLeastFourSubnetsAsUpstream() {
    assertContainsAll(error("{\"Network\":\"10.244.0.0/29\",\"SubnetLen\":30}"), "SubnetLen", "30",
        "10.244.0.0/29", "four subnets");
    assertContainsAll(error("{\"Network\":\"10.1.0.0/16\",\"SubnetLen\":17}"), "SubnetLen", "17", "four subnets");
    String v6 = "{\"EnableIPv4\":false,\"EnableIPv6\":true,\"IPv6Network\":\"fc00::/48\"";
    assertContainsAll(error(v6 + ",\"IPv6SubnetLen\":49}"), "IPv6SubnetLen", "49", "four subnets");
  }

  @Test
  void subnetLenZeroMeansDefault() throws Exception {
    assertEquals(24, parse("{\"Network\":\"10.0.0.0/16\",\"SubnetLen\":0}").subnetLen());
  }

  @Test
  void networkHostBitsAreMasked() throws Exception {
    assertEquals(IpNet.parse("10.244.0.0/16"), parse("{\"Network\":\"10.244.3.7/16\"}").network());
  }

  @Test
  void explicitBoundsAreKept() throws Exception {
    NetworkConfig c = parse("{\"Network\":\"10.1.0.0/16\",\"SubnetMin\":\"10.1.10.0\",\"SubnetMax\":\"10.1.99.0\"}");
    assertEquals(IpNet.parse("10.1.10.0/24"), c.subnetMin());
    assertEquals(IpNet.parse("10.1.99.0/24"), c.subnetMax());
  }

  @Test
  void subnetMinEqualToMaxIsFine() throws Exception {
    NetworkConfig c = parse("{\"Network\":\"10.1.0.0/16\",\"SubnetMin\":\"10.1.10.0\",\"SubnetMax\":\"10.1.10.0\"}");
    assertEquals(c.subnetMin(), c.subnetMax());
  }

  @Test
  void boundErrorsNameFieldAndValue() {
    assertContainsAll(error("{\"Network\":\"10.1.0.0/16\",\"SubnetMin\":\"10.2.0.0\"}"),
        "SubnetMin", "10.2.0.0", "10.1.0.0/16");
    assertContainsAll(error("{\"Network\":\"10.1.0.0/16\",\"SubnetMax\":\"10.1.3.5\"}"),
        "SubnetMax", "10.1.3.5", "boundary");
    assertContainsAll(error("{\"Network\":\"10.1.0.0/16\",\"SubnetMin\":\"10.1.9.0\",\"SubnetMax\":\"10.1.8.0\"}"),
        "SubnetMin", "10.1.9.0", "SubnetMax", "10.1.8.0");
    assertContainsAll(error("{\"Network\":\"10.1.0.0/16\",\"SubnetMin\":\"fc00::\"}"), "SubnetMin", "fc00::", "IPv4");
    assertContainsAll(error("{\"Network\":\"10.1.0.0/16\",\"SubnetMin\":\"10.1.9.0/24\"}"), "SubnetMin", "10.1.9.0/24");
    assertContainsAll(error("{\"Network\":\"10.1.0.0/16\",\"SubnetMin\":\"banana\"}"), "SubnetMin", "banana");
  }

  @Test
  void subnetLenRangeChecks() {
    assertContainsAll(error("{\"Network\":\"10.1.0.0/16\",\"SubnetLen\":31}"), "SubnetLen", "31", "30");
    assertContainsAll(error("{\"Network\":\"10.1.0.0/16\",\"SubnetLen\":16}"), "SubnetLen", "16", "10.1.0.0/16");
    assertContainsAll(error("{\"Network\":\"10.1.0.0/16\",\"SubnetLen\":8}"), "SubnetLen", "8");
    assertContainsAll(error("{\"Network\":\"10.1.0.0/16\",\"SubnetLen\":-1}"), "SubnetLen", "-1");
    assertContainsAll(error("{\"Network\":\"10.1.0.0/16\",\"SubnetLen\":24.5}"), "SubnetLen", "24.5");
  }

  @Test
  void wrongJsonTypesNameTheField() {
    assertContainsAll(error("{\"Network\":\"10.1.0.0/16\",\"SubnetLen\":\"24\"}"), "SubnetLen", "\"24\"", "string");
    assertContainsAll(error("{\"Network\":5}"), "Network", "5", "number");
    assertContainsAll(error("{\"Network\":\"10.1.0.0/16\",\"EnableIPv4\":\"true\"}"), "EnableIPv4", "\"true\"");
    assertContainsAll(error("{\"Network\":\"10.1.0.0/16\",\"EnableIPv6\":1}"), "EnableIPv6", "1");
    assertContainsAll(error("{\"Network\":\"10.1.0.0/16\",\"EnableNFTables\":\"yes\"}"), "EnableNFTables", "yes");
    assertContainsAll(error("{\"Network\":\"10.1.0.0/16\",\"SubnetMin\":7}"), "SubnetMin", "7");
    assertContainsAll(error("{\"Network\":[\"10.1.0.0/16\"]}"), "Network", "array");
  }

  @Test
  void badNetworks() {
    assertContainsAll(error("{\"Network\":\"10.1.0.0\"}"), "Network", "10.1.0.0", "prefix");
    assertContainsAll(error("{\"Network\":\"10.1.0.0/33\"}"), "Network", "10.1.0.0/33");
    assertContainsAll(error("{\"Network\":\"fc00::/48\"}"), "Network", "fc00::/48", "IPv4");
    assertContainsAll(error("{\"Network\":\"\"}"), "Network");
    assertContainsAll(error("{\"EnableIPv4\":false,\"EnableIPv6\":true,\"IPv6Network\":\"10.0.0.0/8\"}"), "IPv6Network", "IPv6");
  }

  /**
   * Addresses as upstream's net.ParseCIDR/ParseIP read them, no more (decision 0900):
   * {@code 010.244.0.0/16} was read as 8.244.0.0/16 (octal) before.
   */
  @Test
  void lenientAddressFormsAreRefused() {
    assertContainsAll(error("{\"Network\":\"010.244.0.0/16\"}"), "Network", "010.244.0.0/16", "leading zero");
    assertContainsAll(error("{\"Network\":\" 10.244.0.0/16\"}"), "Network", "whitespace");
    assertContainsAll(error("{\"Network\":\"10.244/16\"}"), "Network", "10.244/16");
    assertContainsAll(error("{\"Network\":\"10.244.0.0/016\"}"), "Network", "prefix length");
    assertContainsAll(error("{\"Network\":\"::ffff:10.244.0.0/112\"}"), "Network", "IPv4-mapped");
    assertContainsAll(error("{\"Network\":\"10.244.0.0/16\",\"SubnetMin\":\"10.244.01.0\"}"), "SubnetMin", "leading zero");
    assertContainsAll(error("{\"Network\":\"10.244.0.0/16\",\"SubnetMax\":\"10.244.9.0 \"}"), "SubnetMax", "whitespace");
    assertContainsAll(error("{\"EnableIPv4\":false,\"EnableIPv6\":true,\"IPv6Network\":\"fc00::/48%eth0\"}"), "IPv6Network");
  }

  @Test
  void familyPresenceRules() {
    assertContainsAll(error("{\"EnableIPv4\":false}"), "EnableIPv4", "EnableIPv6");
    assertContainsAll(error("{\"EnableIPv4\":false,\"EnableIPv6\":false,\"Network\":\"10.0.0.0/8\"}"), "EnableIPv6");
    assertContainsAll(error("{\"Backend\":{\"Type\":\"vxlan\"}}"), "Network", "missing");
    assertContainsAll(error("{\"Network\":null}"), "Network", "missing");
    assertContainsAll(error("{\"Network\":\"10.0.0.0/8\",\"EnableIPv6\":true}"), "IPv6Network", "missing");
  }

  @Test
  void ipv6OnlyConfig() throws Exception {
    NetworkConfig c = parse("{\"EnableIPv4\":false,\"EnableIPv6\":true,\"IPv6Network\":\"fc00::/48\"}");
    assertFalse(c.enableIpv4());
    assertNull(c.network());
    assertNull(c.subnetMin());
    assertEquals(IpNet.parse("fc00::/48"), c.ipv6Network());
    assertEquals(64, c.ipv6SubnetLen());
    assertEquals(IpNet.parse("fc00:0:0:1::/64"), c.ipv6SubnetMin());
    assertEquals(IpNet.parse("fc00:0:0:ffff::/64"), c.ipv6SubnetMax());
  }

  @Test
  void networkIgnoredWhenIpv4Disabled() throws Exception {
    NetworkConfig c = parse("{\"EnableIPv4\":false,\"Network\":\"10.0.0.0/8\",\"EnableIPv6\":true,"
        + "\"IPv6Network\":\"fc00::/48\"}");
    assertNull(c.network());
  }

  @ParameterizedTest
  @CsvSource({
      "fc00::/48, 64",
      "fc00::/62, 64",
      "fc00::/63, 65",
      "fc00::/120, 122",
  })
  void ipv6DefaultSubnetLen(String network, int len) throws Exception {
    NetworkConfig c = parse("{\"Network\":\"10.0.0.0/8\",\"EnableIPv6\":true,\"IPv6Network\":\"" + network + "\"}");
    assertEquals(len, c.ipv6SubnetLen());
  }

  @Test
  void ipv6Errors() {
    String base = "{\"EnableIPv4\":false,\"EnableIPv6\":true,\"IPv6Network\":\"fc00::/48\"";
    assertContainsAll(error(base + ",\"IPv6SubnetLen\":127}"), "IPv6SubnetLen", "127");
    assertContainsAll(error(base + ",\"IPv6SubnetMin\":\"fd00::\"}"), "IPv6SubnetMin", "fd00::");
    assertContainsAll(error(base + ",\"IPv6SubnetMax\":\"fc00:0:0:1::5\"}"), "IPv6SubnetMax", "fc00:0:0:1::5");
    assertContainsAll(error(base + ",\"IPv6SubnetLen\":\"64\"}"), "IPv6SubnetLen", "\"64\"");
    assertContainsAll(error("{\"EnableIPv4\":false,\"EnableIPv6\":true,\"IPv6Network\":\"fc00::/125\"}"),
        "IPv6Network", "fc00::/125");
  }

  @Test
  void dualStackExplicitIpv6Bounds() throws Exception {
    NetworkConfig c = parse("{\"Network\":\"10.0.0.0/8\",\"EnableIPv6\":true,\"IPv6Network\":\"fc00::/48\","
        + "\"IPv6SubnetMin\":\"fc00:0:0:10::\",\"IPv6SubnetMax\":\"fc00:0:0:20::\"}");
    assertEquals(IpNet.parse("fc00:0:0:10::/64"), c.ipv6SubnetMin());
    assertEquals(IpNet.parse("fc00:0:0:20::/64"), c.ipv6SubnetMax());
  }

  @Test
  void backendDefaultsToVxlan() throws Exception {
    NetworkConfig c = parse("{\"Network\":\"10.0.0.0/8\"}");
    assertEquals("vxlan", c.backend().type());
    assertTrue(c.backend().options().isObject());
  }

  @Test
  void backendKeepsOptionsAsWritten() throws Exception {
    NetworkConfig c = parse("{\"Network\":\"10.0.0.0/8\",\"Backend\":{\"Type\":\"VXLAN\",\"VNI\":4096,\"directRouting\":true}}");
    assertEquals("vxlan", c.backend().type());
    assertEquals(4096, c.backend().options().get("VNI").asInt());
    assertTrue(c.backend().options().get("directRouting").asBoolean());
    assertEquals("VXLAN", c.backend().options().get("Type").asText());
  }

  @Test
  void unknownBackendTypesAreLeftToTheRegistry() throws Exception {
    assertEquals("wireguard", parse("{\"Network\":\"10.0.0.0/8\",\"Backend\":{\"Type\":\"WireGuard\"}}").backend().type());
  }

  @Test
  void backendErrors() {
    assertContainsAll(error("{\"Network\":\"10.0.0.0/8\",\"Backend\":{}}"), "Backend.Type", "missing");
    assertContainsAll(error("{\"Network\":\"10.0.0.0/8\",\"Backend\":{\"VNI\":1}}"), "Backend.Type", "missing");
    assertContainsAll(error("{\"Network\":\"10.0.0.0/8\",\"Backend\":{\"Type\":\"\"}}"), "Backend.Type", "\"\"");
    assertContainsAll(error("{\"Network\":\"10.0.0.0/8\",\"Backend\":{\"Type\":3}}"), "Backend.Type", "3");
    assertContainsAll(error("{\"Network\":\"10.0.0.0/8\",\"Backend\":\"vxlan\"}"), "Backend", "\"vxlan\"");
    assertContainsAll(error("{\"Network\":\"10.0.0.0/8\",\"Backend\":null}"), "Backend", "null");
  }

  @Test
  void documentLevelErrors() {
    assertContainsAll(error(""), "empty");
    assertContainsAll(error("   \n"), "empty");
    assertThrows(ConfigException.class, () -> NetworkConfigParser.parse(null));
    assertContainsAll(error("[1,2]"), "object", "array");
    assertContainsAll(error("\"10.0.0.0/8\""), "object", "string");
    assertContainsAll(error("42"), "object");
    assertContainsAll(error("{\"Network\": \"10.0.0.0/8\""), "not valid JSON");
    assertContainsAll(error("{\"Network\": \"10.0.0.0/8\"} trailing"), "not valid JSON");
    assertContainsAll(error("{\"Network\":\"10.0.0.0/8\",\"Network\":\"10.1.0.0/16\"}"), "not valid JSON", "Network");
    assertContainsAll(error("{\"Network\":\"10.0.0.0/8\",\"network\":\"10.1.0.0/16\"}"), "Network", "network", "case");
  }

  @Test
  void unknownKeysAreIgnored() throws Exception {
    NetworkConfig c = parse("{\"Network\":\"10.0.0.0/8\",\"Networks\":[\"10.0.0.0/8\"],\"Comment\":\"x\"}");
    assertEquals(IpNet.parse("10.0.0.0/8"), c.network());
  }

  @Test
  void nullValuesCountAsAbsent() throws Exception {
    NetworkConfig c = parse("{\"Network\":\"10.0.0.0/8\",\"SubnetLen\":null,\"SubnetMin\":null,\"EnableIPv6\":null}");
    assertEquals(24, c.subnetLen());
    assertEquals(IpNet.parse("10.0.1.0/24"), c.subnetMin());
    assertFalse(c.enableIpv6());
  }

  @Test
  void kubeModeRelaxesAllocationChecksButKeepsDefaults() throws Exception {
    NetworkConfig c = NetworkConfigParser.parseForKube(
        "{\"Network\":\"10.244.0.0/16\",\"SubnetMin\":\"10.9.0.0\",\"SubnetMax\":\"10.244.0.7\"}");
    assertEquals(24, c.subnetLen());
    assertEquals(IpNet.parse("10.9.0.0/24"), c.subnetMin());
    NetworkConfig small = NetworkConfigParser.parseForKube("{\"Network\":\"10.244.0.0/30\"}");
    assertEquals(32, small.subnetLen());
    NetworkConfig len = NetworkConfigParser.parseForKube("{\"Network\":\"10.244.0.0/16\",\"SubnetLen\":16}");
    assertEquals(16, len.subnetLen());
    assertNull(len.subnetMin());
  }

  @Test
  void kubeModeStillRejectsBadInput() {
    assertThrows(ConfigException.class, () -> NetworkConfigParser.parseForKube("{\"Backend\":{\"Type\":\"vxlan\"}}"));
    assertThrows(ConfigException.class, () -> NetworkConfigParser.parseForKube("{\"Network\":\"10.0.0.0/8\",\"Backend\":{}}"));
    assertThrows(ConfigException.class, () -> NetworkConfigParser.parseForKube("{\"Network\":\"10.0.0.0/8\",\"SubnetLen\":\"24\"}"));
    assertThrows(ConfigException.class, () -> NetworkConfigParser.parseForKube("{\"Network\":\"10.0.0.0/8\",\"SubnetLen\":33}"));
    assertThrows(ConfigException.class, () -> NetworkConfigParser.parseForKube("{\"EnableIPv4\":false}"));
  }

  @Test
  void configExceptionIsASubnetException() {
    assertTrue(SubnetException.class.isAssignableFrom(ConfigException.class));
  }
}
