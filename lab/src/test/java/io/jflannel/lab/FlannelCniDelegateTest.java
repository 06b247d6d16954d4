package io.jflannel.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class FlannelCniDelegateTest {
  private static final String V4 = """
      FLANNEL_NETWORK=10.244.0.0/16
      FLANNEL_SUBNET=10.244.1.1/24
      FLANNEL_MTU=1450
      FLANNEL_IPMASQ=true
      """;

  private static JsonNode render(String env) {
    return FlannelCniDelegate.render(SubnetEnv.parse(env, "test"), "/tmp/ipam");
  }

  @Test
  void rendersTheBridgeDelegateForAnIpv4Node() throws Exception {
    JsonNode want = new ObjectMapper().readTree("""
        {"cniVersion":"0.3.1","name":"cbr0","type":"bridge","bridge":"cni0","isGateway":true,
         "isDefaultGateway":true,
         "ipMasq":false,"mtu":1450,"hairpinMode":true,
         "ipam":{"type":"host-local","ranges":[[{"subnet":"10.244.1.0/24"}]],
                 "routes":[{"dst":"10.244.0.0/16"}],"dataDir":"/tmp/ipam"}}
        """);
    assertEquals(want, render(V4));
  }

  @Test
  void bridgeMasqueradesOnlyWhenFlannelDoesNot() {
    assertFalse(render(V4).get("ipMasq").asBoolean());
    assertTrue(render(V4.replace("FLANNEL_IPMASQ=true", "FLANNEL_IPMASQ=false"))
        .get("ipMasq").asBoolean());
  }

  @Test
  void onlyTheLiteralTrueEnablesIpMasq() {
    // The plugin compares the value with "true"; "TRUE" or "1" mean false.
    assertTrue(render(V4.replace("FLANNEL_IPMASQ=true", "FLANNEL_IPMASQ=TRUE"))
        .get("ipMasq").asBoolean());
  }

  @Test
  void subnetIsPassedInNetworkFormAndMtuAsANumber() {
    JsonNode conf = render(V4.replace("10.244.1.1/24", "10.244.7.129/25")
        .replace("1450", "8951"));
    assertEquals("10.244.7.128/25",
        conf.at("/ipam/ranges/0/0/subnet").asText());
    assertTrue(conf.get("mtu").isInt());
    assertEquals(8951, conf.get("mtu").asInt());
  }

  @Test
  void dualStackGetsOneRangeAndOneRoutePerFamily() {
    JsonNode conf = render(V4 + """
        FLANNEL_IPV6_NETWORK=fc00::/48
        FLANNEL_IPV6_SUBNET=fc00:0:0:1::1/64
        """);
    assertEquals("10.244.1.0/24", conf.at("/ipam/ranges/0/0/subnet").asText());
    assertEquals("fc00:0:0:1::/64", conf.at("/ipam/ranges/1/0/subnet").asText());
    assertEquals("10.244.0.0/16", conf.at("/ipam/routes/0/dst").asText());
    assertEquals("fc00::/48", conf.at("/ipam/routes/1/dst").asText());
  }

  @Test
  void ipv6OnlyNodeHasNoIpv4Range() {
    JsonNode conf = render("""
        FLANNEL_IPV6_NETWORK=fc00::/48
        FLANNEL_IPV6_SUBNET=fc00:0:0:2::1/64
        FLANNEL_MTU=1430
        FLANNEL_IPMASQ=false
        """);
    assertEquals(1, conf.at("/ipam/ranges").size());
    assertEquals("fc00:0:0:2::/64", conf.at("/ipam/ranges/0/0/subnet").asText());
    assertEquals(1, conf.at("/ipam/routes").size());
  }
}
