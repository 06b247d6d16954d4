package io.jflannel.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;
import io.jflannel.daemon.flags.CommandLineOutcome;
import io.jflannel.daemon.flags.FlagParser;
import io.jflannel.daemon.flags.IptablesMode;
import io.jflannel.subnet.NetworkConfig;
import io.jflannel.subnet.NetworkConfigParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * deploy/chart/kube-flannel rendered by real Helm ({@code helm template} through helm-java's
 * bundled engine): with the default values it yields the objects of deploy/kube-flannel.yml
 * (all but the Namespace, which a chart leaves to {@code helm install --create-namespace} or to
 * the operator, as upstream's chart does); the network, backend, image and argument values land
 * where flanneld reads them.
 */
class HelmChartTest {
  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  static final ObjectMapper JSON = new ObjectMapper();
  static final String NAMESPACE = "kube-flannel";

  static Path chart;

  @BeforeAll
  static void chart() {
    chart = RepoFiles.root().resolve("deploy/chart/kube-flannel");
    Prerequisites.require(System.getProperty("os.arch").equals("amd64") && System.getProperty("os.name").equals("Linux"),
        "helm-java's native engine is the linux-amd64 one");
  }

  /** {@code helm template flannel deploy/chart/kube-flannel -n kube-flannel [--set ...]}. */
  static String render(UnaryOperator<TemplateCommand> settings) {
    return settings.apply(new Helm(chart).template().withName("flannel").withNamespace(NAMESPACE)).call();
  }

  /** The YAML documents of {@code text}, each as a tree, keyed by kind/name; empty ones dropped. */
  static Map<String, JsonNode> objects(String text) throws IOException {
    Map<String, JsonNode> out = new LinkedHashMap<>();
    try (YAMLParser p = new YAMLFactory().createParser(text)) {
      for (JsonNode doc : YAML.readValues(p, JsonNode.class).readAll()) {
        if (doc == null || doc.isNull() || doc.isEmpty()) {
          continue;
        }
        String key = doc.path("kind").asText() + "/" + doc.path("metadata").path("name").asText();
        assertFalse(out.containsKey(key), "two objects " + key);
        out.put(key, doc);
      }
    }
    return out;
  }

  /** A tree with the ConfigMap's JSON documents parsed, so JSON formatting does not count. */
  static JsonNode normalized(JsonNode object) throws IOException {
    JsonNode copy = object.deepCopy();
    if (copy.path("kind").asText().equals("ConfigMap")) {
      com.fasterxml.jackson.databind.node.ObjectNode data = (com.fasterxml.jackson.databind.node.ObjectNode) copy.get("data");
      for (String key : List.of("cni-conf.json", "net-conf.json")) {
        data.set(key, JSON.readTree(data.get(key).asText()));
      }
    }
    return copy;
  }

  /** Where two trees differ, as JSON pointers with both values (maps compare without order). */
  static void diff(JsonNode want, JsonNode got, String at, List<String> out) {
    if (want != null && got != null && want.isObject() && got.isObject()) {
      java.util.Set<String> keys = new java.util.TreeSet<>();
      want.fieldNames().forEachRemaining(keys::add);
      got.fieldNames().forEachRemaining(keys::add);
      for (String k : keys) {
        diff(want.get(k), got.get(k), at + "/" + k, out);
      }
    } else if (want != null && got != null && want.isArray() && got.isArray() && want.size() == got.size()) {
      for (int i = 0; i < want.size(); i++) {
        diff(want.get(i), got.get(i), at + "/" + i, out);
      }
    } else if (want == null || !want.equals(got)) {
      out.add(at + ": manifest " + want + ", chart " + got);
    }
  }

  static JsonNode daemonSet(Map<String, JsonNode> objects) {
    return objects.get("DaemonSet/kube-flannel-ds");
  }

  static JsonNode container(Map<String, JsonNode> objects) {
    return daemonSet(objects).path("spec").path("template").path("spec").path("containers").get(0);
  }

  static List<String> args(Map<String, JsonNode> objects) {
    List<String> out = new ArrayList<>();
    container(objects).path("args").forEach(a -> out.add(a.asText()));
    return out;
  }

  static JsonNode netConf(Map<String, JsonNode> objects) throws IOException {
    return JSON.readTree(objects.get("ConfigMap/kube-flannel-cfg").path("data").path("net-conf.json").asText());
  }

  static NetworkConfig parsedNetConf(Map<String, JsonNode> objects) throws Exception {
    return NetworkConfigParser.parseForKube(objects.get("ConfigMap/kube-flannel-cfg").path("data").path("net-conf.json").asText());
  }

  @Test
  void defaultValuesRenderTheManifestsObjects() throws Exception {
    Map<String, JsonNode> rendered = objects(render(c -> c));
    Map<String, JsonNode> manifest = objects(Files.readString(RepoFiles.manifest()));
    assertEquals(List.of("Namespace/kube-flannel"), manifest.keySet().stream()
        .filter(k -> !rendered.containsKey(k)).toList(), "the manifest's objects the chart does not render");
    assertEquals(List.of(), rendered.keySet().stream().filter(k -> !manifest.containsKey(k)).toList(),
        "objects only the chart renders");
    for (String key : rendered.keySet()) {
      List<String> differences = new ArrayList<>();
      diff(normalized(manifest.get(key)), normalized(rendered.get(key)), "", differences);
      assertEquals(List.of(), differences, key + " differs from deploy/kube-flannel.yml");
    }
    // the CNI conflist is the very same text the manifest ships
    assertEquals(manifest.get("ConfigMap/kube-flannel-cfg").path("data").path("cni-conf.json").asText(),
        rendered.get("ConfigMap/kube-flannel-cfg").path("data").path("cni-conf.json").asText());
  }

  @Test
  void networkAndBackendValuesReachNetConf() throws Exception {
    Map<String, JsonNode> o = objects(render(c -> c.set("podCidr", "10.42.0.0/16")
        .set("podCidrv6", "fd00:42::/56").set("flannel.enableNFTables", true)
        .set("flannel.vni", 4096).set("flannel.backendPort", 4789).set("flannel.mtu", 1400)
        .set("flannel.directRouting", true).set("flannel.GBP", true)));
    JsonNode nc = netConf(o);
    assertEquals("10.42.0.0/16", nc.path("Network").asText());
    assertEquals("fd00:42::/56", nc.path("IPv6Network").asText());
    assertTrue(nc.path("EnableIPv6").asBoolean());
    assertTrue(nc.path("EnableNFTables").asBoolean());
    JsonNode backend = nc.path("Backend");
    assertEquals("vxlan", backend.path("Type").asText());
    assertEquals(4096, backend.path("VNI").asInt());
    assertEquals(4789, backend.path("Port").asInt());
    assertEquals(1400, backend.path("MTU").asInt());
    assertTrue(backend.path("DirectRouting").asBoolean() && backend.path("GBP").asBoolean());
    // and flanneld's own config parser accepts what the chart wrote
    NetworkConfig parsed = parsedNetConf(o);
    assertTrue(parsed.enableNftables() && parsed.enableIpv6());
    assertEquals("vxlan", parsed.backend().type());
    assertEquals(4096, parsed.backend().options().path("VNI").asInt());
  }

  @Test
  void hostGwTakesNoVxlanOptionsAndIpv6OnlyDisablesIpv4() throws Exception {
    Map<String, JsonNode> o = objects(render(c -> c.set("flannel.backend", "host-gw").set("flannel.vni", 7)
        .set("podCidr", "").set("podCidrv6", "fd00:42::/56")));
    JsonNode nc = netConf(o);
    assertEquals(JSON.readTree("{\"Type\":\"host-gw\"}"), nc.path("Backend"));
    assertFalse(nc.path("EnableIPv4").asBoolean(true));
    assertFalse(nc.has("Network"));
    NetworkConfig parsed = parsedNetConf(o);
    assertFalse(parsed.enableIpv4());
    assertEquals("host-gw", parsed.backend().type());
  }

  @Test
  void imageArgsAndHealthValuesReachTheDaemonSet() throws Exception {
    Map<String, JsonNode> o = objects(render(c -> c.set("flannel.image.repository", "registry.example/jfl")
        .set("flannel.image.tag", "v9").set("flannel.args[0]", "--kube-subnet-mgr")
        .set("flannel.args[1]", "--iface=eth1").set("flannel.iptablesMode", "legacy")
        .set("flannel.healthz.port", 9000).set("flannel.cniConfDir", "/etc/cni/other")));
    JsonNode c = container(o);
    assertEquals("registry.example/jfl:v9", c.path("image").asText());
    assertEquals(List.of("--kube-subnet-mgr", "--iface=eth1", "--iptables-mode=legacy", "--healthz-port=9000"), args(o));
    assertEquals(9000, c.path("livenessProbe").path("httpGet").path("port").asInt());
    assertEquals(9000, c.path("readinessProbe").path("httpGet").path("port").asInt());
    JsonNode spec = daemonSet(o).path("spec").path("template").path("spec");
    assertEquals("registry.example/jfl:v9", spec.path("initContainers").get(1).path("image").asText());
    List<String> cniPaths = new ArrayList<>();
    spec.path("volumes").forEach(v -> {
      if (v.path("name").asText().equals("cni")) {
        cniPaths.add(v.path("hostPath").path("path").asText());
      }
    });
    assertEquals(List.of("/etc/cni/other"), cniPaths);
    // flanneld parses the rendered command line
    CommandLineOutcome start = FlagParser.parse(args(o), Map.of());
    CommandLineOutcome.Start s = assertInstanceOf(CommandLineOutcome.Start.class, start);
    assertEquals(IptablesMode.LEGACY, s.options().rules().iptablesMode());
    assertEquals(9000, s.options().health().port());
  }

  @Test
  void healthPortZeroDropsTheFlagAndTheProbesAndSkippingCniConfigDropsItsInitContainer() throws Exception {
    Map<String, JsonNode> o = objects(render(c -> c.set("flannel.healthz.port", 0)
        .set("flannel.skipCNIConfigInstallation", true)));
    assertEquals(List.of("--ip-masq", "--kube-subnet-mgr"), args(o));
    assertFalse(container(o).has("livenessProbe") || container(o).has("readinessProbe"));
    JsonNode inits = daemonSet(o).path("spec").path("template").path("spec").path("initContainers");
    assertEquals(1, inits.size());
    assertEquals("install-cni-plugin", inits.get(0).path("name").asText());
  }

  @Test
  void pullSecretsAndNodeSelector() throws Exception {
    Map<String, JsonNode> o = objects(render(c -> c.set("global.imagePullSecrets[0].name", "regcred")
        .set("flannel.nodeSelector.flannel", "yes")));
    JsonNode spec = daemonSet(o).path("spec").path("template").path("spec");
    assertEquals("regcred", spec.path("imagePullSecrets").get(0).path("name").asText());
    assertEquals("yes", spec.path("nodeSelector").path("flannel").asText());
  }
}
