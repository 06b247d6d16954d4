package io.jflannel.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirement;
import io.fabric8.kubernetes.api.model.NodeSelectorTerm;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import io.jflannel.daemon.flags.CommandLineOutcome;
import io.jflannel.daemon.flags.FlagParser;
import io.jflannel.daemon.flags.FlanneldOptions;
import java.io.IOException;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** deploy/kube-flannel.yml against docs/compatibility.md#manifest-and-image and its #rbac. */
class KubeFlannelManifestTest {
  static final String NAMESPACE = "kube-flannel";
  static final String IMAGE = "ghcr.io/jflannel/jflannel:v0.1.0";
  static final String CNI_PLUGIN_IMAGE = "ghcr.io/flannel-io/flannel-cni-plugin:v1.7.1-flannel1";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static KubeFlannelManifest manifest;

  @BeforeAll
  static void load() throws IOException {
    manifest = KubeFlannelManifest.load();
  }

  /** The arguments the DaemonSet gives flanneld; a flag-parser assertion can use them directly. */
  static List<String> containerArgs() {
    return manifest.containerArgs();
  }

  @Test
  void holdsExactlyTheSixObjectsInApplyOrder() {
    // The namespace comes first so that `kubectl apply -f` can create the rest in one pass.
    List<String> kinds = manifest.objects().stream()
        .map(o -> o.getKind() + "/" + o.getMetadata().getName())
        .toList();
    assertEquals(List.of("Namespace/kube-flannel", "ServiceAccount/flannel", "ClusterRole/flannel",
        "ClusterRoleBinding/flannel", "ConfigMap/kube-flannel-cfg", "DaemonSet/kube-flannel-ds"), kinds);
  }

  @Test
  void namespacedObjectsLiveInKubeFlannelAndClusterObjectsHaveNoNamespace() {
    for (HasMetadata o : manifest.objects()) {
      boolean clusterScoped = Set.of("Namespace", "ClusterRole", "ClusterRoleBinding").contains(o.getKind());
      String where = o.getKind() + "/" + o.getMetadata().getName();
      if (clusterScoped) {
        assertNull(o.getMetadata().getNamespace(), where);
      } else {
        assertEquals(NAMESPACE, o.getMetadata().getNamespace(), where);
      }
    }
  }

  @Test
  void namespaceEnforcesThePrivilegedPodSecurityLevel() {
    Map<String, String> labels = manifest.namespace().getMetadata().getLabels();
    assertEquals("privileged", labels.get("pod-security.kubernetes.io/enforce"));
  }

  @Test
  void clusterRoleGrantsExactlyPodsGetNodesReadAndNodeStatusPatch() {
    Set<String> grants = new HashSet<>();
    for (PolicyRule rule : manifest.clusterRole().getRules()) {
      assertEquals(List.of(""), rule.getApiGroups(), "only the core API group");
      assertTrue(rule.getResourceNames() == null || rule.getResourceNames().isEmpty());
      assertTrue(rule.getNonResourceURLs() == null || rule.getNonResourceURLs().isEmpty());
      for (String resource : rule.getResources()) {
        for (String verb : rule.getVerbs()) {
          assertTrue(grants.add(resource + ":" + verb), "granted twice: " + resource + ":" + verb);
        }
      }
    }
    assertEquals(Set.of("pods:get", "nodes:get", "nodes:list", "nodes:watch", "nodes/status:patch"), grants);
  }

  @Test
  void clusterRoleBindingBindsTheRoleToTheServiceAccount() {
    ClusterRoleBinding binding = manifest.clusterRoleBinding();
    assertEquals("rbac.authorization.k8s.io", binding.getRoleRef().getApiGroup());
    assertEquals("ClusterRole", binding.getRoleRef().getKind());
    assertEquals(manifest.clusterRole().getMetadata().getName(), binding.getRoleRef().getName());
    assertEquals(1, binding.getSubjects().size());
    Subject subject = binding.getSubjects().get(0);
    assertEquals("ServiceAccount", subject.getKind());
    assertEquals(manifest.serviceAccount().getMetadata().getName(), subject.getName());
    assertEquals(NAMESPACE, subject.getNamespace());
  }

  @Test
  void cniConfIsTheCbr0ConflistWithFlannelAndChainedPortmap() throws IOException {
    JsonNode conf = JSON.readTree(manifest.configMap().getData().get("cni-conf.json"));
    assertEquals(Set.of("name", "cniVersion", "plugins"), fieldNames(conf));
    assertEquals("cbr0", conf.get("name").asText());
    assertEquals("0.3.1", conf.get("cniVersion").asText());
    JsonNode plugins = conf.get("plugins");
    assertEquals(2, plugins.size());
    assertEquals(JSON.readTree("""
        {"type": "flannel", "delegate": {"hairpinMode": true, "isDefaultGateway": true}}"""), plugins.get(0));
    assertEquals(JSON.readTree("""
        {"type": "portmap", "capabilities": {"portMappings": true}}"""), plugins.get(1));
  }

  @Test
  void netConfIsTheDefaultVxlanNetwork() throws IOException {
    JsonNode net = JSON.readTree(manifest.configMap().getData().get("net-conf.json"));
    assertEquals(JSON.readTree("""
        {"Network": "10.244.0.0/16", "EnableNFTables": false, "Backend": {"Type": "vxlan"}}"""), net);
    assertEquals(Set.of("cni-conf.json", "net-conf.json"), manifest.configMap().getData().keySet());
  }

  @Test
  void daemonSetRunsOnEveryLinuxNodeInTheHostNetwork() {
    DaemonSet ds = manifest.daemonSet();
    PodSpec pod = ds.getSpec().getTemplate().getSpec();
    Map<String, String> selector = ds.getSpec().getSelector().getMatchLabels();
    assertFalse(selector.isEmpty());
    assertTrue(ds.getSpec().getTemplate().getMetadata().getLabels().entrySet().containsAll(selector.entrySet()),
        "the pod template carries the selector's labels");
    assertEquals(Boolean.TRUE, pod.getHostNetwork());
    assertEquals("system-node-critical", pod.getPriorityClassName());
    assertEquals("flannel", pod.getServiceAccountName());
    assertEquals(List.of(linuxOnly()), nodeRequirements(pod));
    assertEquals(1, pod.getTolerations().size());
    Toleration toleration = pod.getTolerations().get(0);
    assertEquals("Exists", toleration.getOperator());
    assertEquals("NoSchedule", toleration.getEffect());
    assertNull(toleration.getKey(), "every NoSchedule taint, not one key");
  }

  @Test
  void initContainersInstallTheUpstreamCniPluginAndOurConflist() {
    PodSpec pod = manifest.daemonSet().getSpec().getTemplate().getSpec();
    assertEquals(List.of("install-cni-plugin", "install-cni"),
        pod.getInitContainers().stream().map(Container::getName).toList());

    Container plugin = KubeFlannelManifest.container(pod.getInitContainers(), "install-cni-plugin");
    assertEquals(CNI_PLUGIN_IMAGE, plugin.getImage());
    assertEquals(List.of("cp", "-f", "/flannel", "/opt/cni/bin/flannel"), commandLine(plugin));
    assertEquals(Map.of("cni-plugin", "/opt/cni/bin"), mounts(plugin));

    Container conflist = KubeFlannelManifest.container(pod.getInitContainers(), "install-cni");
    assertEquals(IMAGE, conflist.getImage());
    assertEquals(List.of("/opt/bin/install-conf", "/etc/kube-flannel/cni-conf.json",
        "/etc/cni/net.d/10-flannel.conflist"), commandLine(conflist));
    assertEquals(Map.of("cni", "/etc/cni/net.d", "flannel-cfg", "/etc/kube-flannel/"), mounts(conflist));
  }

  @Test
  void flanneldContainerRunsOurImageWithUpstreamsCommandLine() {
    Container c = manifest.flanneldContainer();
    assertEquals(1, manifest.daemonSet().getSpec().getTemplate().getSpec().getContainers().size());
    assertEquals(IMAGE, c.getImage());
    assertEquals(List.of("/opt/bin/flanneld"), c.getCommand());
    assertEquals(List.of("/opt/bin/flanneld", "--ip-masq", "--kube-subnet-mgr", "--healthz-port=8081"),
        commandLine(c));
    assertEquals(List.of("--ip-masq", "--kube-subnet-mgr", "--healthz-port=8081"), containerArgs());
  }

  @Test
  void containerArgsParseWithTheDaemonsFlagParser() {
    Map<String, String> env = Map.of("POD_NAME", "kube-flannel-ds-x", "POD_NAMESPACE", "kube-flannel");
    CommandLineOutcome outcome = FlagParser.parse(containerArgs(), env);
    assertTrue(outcome instanceof CommandLineOutcome.Start, () -> "flag parser refused the manifest's args: " + outcome);
    FlanneldOptions o = ((CommandLineOutcome.Start) outcome).options();
    assertTrue(o.kube().enabled());
    assertTrue(o.rules().ipMasq());
    assertEquals(8081, o.health().port());
    assertEquals("/etc/kube-flannel/net-conf.json", o.kube().netConfigPath().toString());
    assertEquals(Optional.of("kube-flannel-ds-x"), o.environment().podName());
  }

  @Test
  void flanneldContainerEnvironment() {
    Map<String, String> env = new LinkedHashMap<>();
    for (EnvVar e : manifest.flanneldContainer().getEnv()) {
      String value = e.getValueFrom() != null
          ? "fieldRef:" + e.getValueFrom().getFieldRef().getFieldPath()
          : e.getValue();
      assertNull(env.put(e.getName(), value), "set twice: " + e.getName());
    }
    assertEquals(Map.of(
        "POD_NAME", "fieldRef:metadata.name",
        "POD_NAMESPACE", "fieldRef:metadata.namespace",
        "EVENT_QUEUE_DEPTH", "5000",
        "CONT_WHEN_CACHE_NOT_READY", "false"), env);
  }

  @Test
  void flanneldContainerResourcesProbesAndCapabilities() {
    Container c = manifest.flanneldContainer();
    assertEquals(Map.of("cpu", new Quantity("100m"), "memory", new Quantity("50Mi")),
        c.getResources().getRequests());
    assertTrue(c.getResources().getLimits() == null || c.getResources().getLimits().isEmpty(),
        "upstream sets no limits; a memory limit would turn a heap spike into an OOM kill");

    assertProbe(c.getLivenessProbe(), "/healthz");
    assertProbe(c.getReadinessProbe(), "/readyz");

    assertEquals(Boolean.FALSE, c.getSecurityContext().getPrivileged());
    assertEquals(List.of("NET_ADMIN", "NET_RAW"), c.getSecurityContext().getCapabilities().getAdd());
    assertTrue(c.getSecurityContext().getCapabilities().getDrop() == null
        || c.getSecurityContext().getCapabilities().getDrop().isEmpty());
  }

  @Test
  void flanneldContainerMountsRunFlannelConfigAndXtablesLock() {
    assertEquals(Map.of("run", "/run/flannel", "flannel-cfg", "/etc/kube-flannel/",
        "xtables-lock", "/run/xtables.lock"), mounts(manifest.flanneldContainer()));
  }

  @Test
  void volumesAreTheFourHostPathsAndTheConfigMap() {
    PodSpec pod = manifest.daemonSet().getSpec().getTemplate().getSpec();
    Map<String, String> hostPaths = new LinkedHashMap<>();
    for (Volume v : pod.getVolumes()) {
      if (v.getHostPath() != null) {
        String type = v.getHostPath().getType();
        hostPaths.put(v.getName(), v.getHostPath().getPath() + (type == null ? "" : " " + type));
      } else {
        assertNotNull(v.getConfigMap(), "volume " + v.getName() + " is neither hostPath nor configMap");
        assertEquals("flannel-cfg", v.getName());
        assertEquals(manifest.configMap().getMetadata().getName(), v.getConfigMap().getName());
      }
    }
    assertEquals(Map.of("run", "/run/flannel", "cni-plugin", "/opt/cni/bin", "cni", "/etc/cni/net.d",
        "xtables-lock", "/run/xtables.lock FileOrCreate"), hostPaths);
    assertEquals(5, pod.getVolumes().size());
  }

  @Test
  void everyMountNamesADeclaredVolume() {
    PodSpec pod = manifest.daemonSet().getSpec().getTemplate().getSpec();
    Set<String> declared = pod.getVolumes().stream().map(Volume::getName).collect(Collectors.toSet());
    for (Container c : allContainers(pod)) {
      for (VolumeMount m : c.getVolumeMounts()) {
        assertTrue(declared.contains(m.getName()), c.getName() + " mounts undeclared volume " + m.getName());
      }
    }
  }

  private static void assertProbe(Probe probe, String path) {
    assertNotNull(probe, "probe for " + path);
    assertEquals(path, probe.getHttpGet().getPath());
    assertEquals(8081, probe.getHttpGet().getPort().getIntVal());
    assertTrue(containerArgs().contains("--healthz-port=" + probe.getHttpGet().getPort().getIntVal()),
        "the probe port is the port flanneld serves health on");
  }

  private static NodeSelectorRequirement linuxOnly() {
    return new NodeSelectorRequirement("kubernetes.io/os", "In", List.of("linux"));
  }

  /** The node requirements of the pod, from either the node selector or required node affinity. */
  private static List<NodeSelectorRequirement> nodeRequirements(PodSpec pod) {
    if (pod.getNodeSelector() != null && !pod.getNodeSelector().isEmpty()) {
      return pod.getNodeSelector().entrySet().stream()
          .map(e -> new NodeSelectorRequirement(e.getKey(), "In", List.of(e.getValue())))
          .toList();
    }
    List<NodeSelectorTerm> terms = pod.getAffinity().getNodeAffinity()
        .getRequiredDuringSchedulingIgnoredDuringExecution().getNodeSelectorTerms();
    assertEquals(1, terms.size(), "one term: several terms are OR-ed");
    return terms.get(0).getMatchExpressions();
  }

  private static List<String> commandLine(Container c) {
    return java.util.stream.Stream.concat(c.getCommand().stream(), c.getArgs().stream()).toList();
  }

  private static Map<String, String> mounts(Container c) {
    return c.getVolumeMounts().stream().collect(Collectors.toMap(VolumeMount::getName, VolumeMount::getMountPath));
  }

  private static List<Container> allContainers(PodSpec pod) {
    return java.util.stream.Stream.concat(pod.getInitContainers().stream(), pod.getContainers().stream()).toList();
  }

  private static Set<String> fieldNames(JsonNode node) {
    Set<String> names = new HashSet<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }
}
