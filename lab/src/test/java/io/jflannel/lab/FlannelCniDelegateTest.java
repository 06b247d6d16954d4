package io.jflannel.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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

  @Test
  void theLabsConflistIsTheOneOfKubeFlannelsConfigMap() throws Exception {
    Path manifest = Path.of(System.getProperty("jflannel.root", "..")).resolve("deploy/kube-flannel.yml");
    Object parsed;
    try (InputStream in = Files.newInputStream(manifest)) {
      parsed = new KubernetesSerialization().unmarshal(in);
    }
    ConfigMap cm = ((List<?>) parsed).stream().filter(ConfigMap.class::isInstance).map(ConfigMap.class::cast)
        .filter(c -> ((HasMetadata) c).getMetadata().getName().equals("kube-flannel-cfg")).findFirst().orElseThrow();
    ObjectMapper json = new ObjectMapper();
    assertEquals(json.readTree(cm.getData().get("cni-conf.json")),
        json.readTree(FlannelCniDelegate.KUBE_FLANNEL_CNI_CONF));
  }

  @Test
  void theDelegateBlockOfTheConflistWinsOverTheDefaults() throws Exception {
    JsonNode conflist = new ObjectMapper().readTree("""
        {"name": "mynet", "cniVersion": "1.0.0", "plugins": [
          {"type": "flannel", "delegate": {"ipMasq": true, "mtu": 1400, "isGateway": false, "bridge": "br9"}},
          {"type": "portmap", "capabilities": {"portMappings": true}}]}
        """);
    JsonNode conf = FlannelCniDelegate.render(SubnetEnv.parse(V4, "test"), "/tmp/ipam", conflist);
    assertEquals("mynet", conf.get("name").asText());
    assertEquals("1.0.0", conf.get("cniVersion").asText());
    assertEquals("bridge", conf.get("type").asText());
    assertTrue(conf.get("ipMasq").asBoolean());
    assertEquals(1400, conf.get("mtu").asInt());
    assertFalse(conf.get("isGateway").asBoolean());
    assertEquals("br9", conf.get("bridge").asText());
    assertFalse(conf.has("hairpinMode"));
    assertEquals("10.244.1.0/24", conf.at("/ipam/ranges/0/0/subnet").asText());
  }

  @Test
  void thePluginReadsSubnetEnvFromItsEntrysSubnetFileOrTheDefault() throws Exception {
    ObjectMapper json = new ObjectMapper();
    assertEquals("/run/flannel/subnet.env",
        FlannelCniDelegate.subnetFile(json.readTree(FlannelCniDelegate.KUBE_FLANNEL_CNI_CONF)));
    assertEquals("/var/run/flannel/other.env", FlannelCniDelegate.subnetFile(json.readTree(
        "{\"name\": \"x\", \"type\": \"flannel\", \"subnetFile\": \"/var/run/flannel/other.env\"}")));
    assertThrows(LabException.class, () -> FlannelCniDelegate.subnetFile(json.readTree(
        "{\"name\": \"x\", \"plugins\": [{\"type\": \"bridge\"}]}")));
  }
}
