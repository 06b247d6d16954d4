package io.jflannel.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.jflannel.daemon.flags.CommandLineOutcome;
import io.jflannel.daemon.flags.FlagParser;
import io.jflannel.daemon.flags.FlanneldOptions;
import io.jflannel.netlink.testing.TestNetns;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Upstream flannel's released manifest (the facts in test resource
 * upstream/kube-flannel-v0.28.9.yml) with only the flannel image swapped for ours: every
 * container of it that runs the flannel image runs here, in our image, with podman, exactly as
 * the DaemonSet states it (command, arguments, environment, mounts, capabilities, the node's
 * network namespace), against "host" folders of a temporary node.
 */
@Tag("image")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class UpstreamManifestInOurImageIT {
  static final String RESOURCE = "upstream/kube-flannel-v0.28.9.yml";
  static final String UPSTREAM_IMAGE = "ghcr.io/flannel-io/flannel:";
  /** What the Downward API gives the fieldRef variables in this test's pod. */
  static final Map<String, String> FIELDS = Map.of("metadata.name", "kube-flannel-ds-jfl01",
      "metadata.namespace", "kube-flannel", "spec.nodeName", "node-1");
  private static final ObjectMapper JSON = new ObjectMapper();

  private KubeFlannelManifest upstream;
  private PodSpec pod;
  private List<String> swapped;
  private String image;
  private Path node;
  private TestNetns netns;

  @BeforeAll
  void swapTheImage() throws Exception {
    upstream = KubeFlannelManifest.load(Path.of(getClass().getClassLoader().getResource(RESOURCE).toURI()));
    pod = upstream.daemonSet().getSpec().getTemplate().getSpec();
    image = ImageUnderTest.require();
    swapped = new ArrayList<>();
    for (Container c : allContainers(pod)) {
      if (c.getImage().startsWith(UPSTREAM_IMAGE)) {
        c.setImage(image);
        swapped.add(c.getName());
      }
    }
  }

  @BeforeEach
  void node() throws IOException {
    node = Files.createTempDirectory("jfl-node-");
    netns = TestNetns.create("mf");
  }

  @AfterEach
  void removeNode() throws IOException {
    if (netns != null) {
      netns.close();
    }
    try (Stream<Path> files = Files.walk(node)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.delete(p);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    }
  }

  @Test
  void theFlannelImageRunsTheInstallCniStepAndFlanneldAndNothingElse() {
    assertEquals(List.of("install-cni", "kube-flannel"), swapped);
    assertTrue(pod.getHostNetwork(), "hostNetwork: the containers join the node's namespace");
    // The CNI plugin binary comes from upstream's own plugin image, which stays as it is.
    Container plugin = KubeFlannelManifest.container(pod.getInitContainers(), "install-cni-plugin");
    assertTrue(plugin.getImage().startsWith("ghcr.io/flannel-io/flannel-cni-plugin:"), plugin.getImage());
  }

  @Test
  void installCniPutsTheConflistWhereTheCniPluginReadsItAtomically() throws Exception {
    Container c = KubeFlannelManifest.container(pod.getInitContainers(), "install-cni");
    assertEquals(List.of("/opt/bin/install-conf"), c.getCommand());
    Path netD = hostPath("/etc/cni/net.d");
    Files.createDirectories(netD);
    Path conflist = netD.resolve("10-flannel.conflist");
    Files.writeString(conflist, "{\"name\": \"an older conflist\"}\n");
    // A second name for the old file shows whether it was replaced (rename) or rewritten in place.
    Path witness = Files.createLink(node.resolve("witness"), conflist);

    ProcessRun run = ImageUnderTest.podman(120, runArgs(c, List.of()));
    assertEquals(0, run.exitCode(), run.output());

    // The container's destination is the "cni" hostPath volume: /etc/cni/net.d on the node, the
    // folder containerd and CRI-O read CNI configs from.
    String cniConf = upstream.configMap().getData().get("cni-conf.json");
    assertEquals(cniConf, Files.readString(conflist));
    assertEquals("{\"name\": \"an older conflist\"}\n", Files.readString(witness), "rewritten in place");
    assertNotEquals(fileKey(witness), fileKey(conflist));
    assertEquals(List.of(conflist), entries(netD), "nothing but the conflist is left in the CNI folder");
    // The mode of the configMap's file (kubelet's default 0644), so the runtime can read it.
    assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(conflist)));
    JsonNode parsed = JSON.readTree(conflist.toFile());
    assertEquals("flannel", parsed.at("/plugins/0/type").asText(), parsed.toString());
  }

  @Test
  void flanneldTakesTheManifestsArgumentsEnvironmentAndMountsInOurImage() throws Exception {
    Container c = upstream.flanneldContainer();
    assertEquals(List.of("/opt/bin/flanneld"), c.getCommand());
    Files.createDirectories(hostPath("/run/flannel"));

    // No API server on this node: the daemon gets past the flags, the environment and the
    // network config from the configMap mount, reaches for the API server with its pod's
    // namespace and name from POD_NAMESPACE and POD_NAME, and exits 1 with one readable line
    // (2 would be refused flags; a missing mount would fail on net-conf.json first).
    ProcessRun run = ImageUnderTest.podman(300, runArgs(c, List.of()));
    assertEquals(1, run.exitCode(), run.output());
    List<String> fatal = run.output().lines().filter(l -> l.startsWith("flanneld: ")).toList();
    assertEquals(1, fatal.size(), run.output());
    assertTrue(fatal.get(0).contains(FIELDS.get("metadata.namespace") + "/" + FIELDS.get("metadata.name")),
        "the pod named by POD_NAMESPACE and POD_NAME: " + fatal.get(0));

    // The same command line with --version appended parses completely in the image and exits 0.
    ProcessRun version = ImageUnderTest.podman(120, runArgs(c, List.of("--version")));
    assertEquals(0, version.exitCode(), version.output());
  }

  @Test
  void flanneldWritesSubnetEnvWhereTheCniPluginReadsIt() {
    // The flannel CNI plugin reads /run/flannel/subnet.env on the node; the DaemonSet mounts the
    // node's /run/flannel at the same path, and flanneld's default subnet file is inside it.
    Container c = upstream.flanneldContainer();
    Map<String, String> env = new LinkedHashMap<>();
    for (EnvVar e : c.getEnv()) {
      env.put(e.getName(), e.getValueFrom() != null ? FIELDS.get(e.getValueFrom().getFieldRef().getFieldPath())
          : e.getValue());
    }
    CommandLineOutcome outcome = FlagParser.parse(c.getArgs(), env);
    assertTrue(outcome instanceof CommandLineOutcome.Start, () -> outcome.toString());
    FlanneldOptions o = ((CommandLineOutcome.Start) outcome).options();
    assertEquals(Path.of("/run/flannel/subnet.env"), o.subnetFile());
    assertEquals("/run/flannel", mountPath(c, "run"));
    assertEquals("/run/flannel", volume("run").getHostPath().getPath());
    assertEquals(Path.of("/etc/kube-flannel/net-conf.json"), o.kube().netConfigPath());
    assertEquals("/etc/kube-flannel/", mountPath(c, "flannel-cfg"));
    assertEquals("/run/xtables.lock", mountPath(c, "xtables-lock"));
  }

  /**
   * The podman command line that runs container {@code c} of the pod on this test's node:
   * the node's network namespace (hostNetwork), the capabilities it is granted, its
   * environment with fieldRefs resolved, its volume mounts (hostPath volumes under the node's
   * folder, the configMap as kubelet lays it out, read-only), its command as the entrypoint
   * and its arguments followed by {@code extraArgs}.
   */
  private List<String> runArgs(Container c, List<String> extraArgs) throws IOException {
    List<String> args = new ArrayList<>(List.of("run", "--rm", "--network", "ns:/run/netns/" + netns.name()));
    if (c.getSecurityContext() != null && c.getSecurityContext().getCapabilities() != null
        && c.getSecurityContext().getCapabilities().getAdd() != null) {
      for (String cap : c.getSecurityContext().getCapabilities().getAdd()) {
        args.addAll(List.of("--cap-add", cap));
      }
    }
    for (EnvVar e : c.getEnv() == null ? List.<EnvVar>of() : c.getEnv()) {
      String value = e.getValueFrom() != null ? FIELDS.get(e.getValueFrom().getFieldRef().getFieldPath()) : e.getValue();
      assertTrue(value != null, "no value for " + e.getName());
      args.addAll(List.of("--env", e.getName() + "=" + value));
    }
    for (VolumeMount m : c.getVolumeMounts()) {
      Volume v = volume(m.getName());
      Path host;
      String options = "";
      if (v.getConfigMap() != null) {
        host = configMapVolume(v.getConfigMap().getName());
        options = ":ro";
      } else {
        host = hostPath(v.getHostPath().getPath());
        if ("FileOrCreate".equals(v.getHostPath().getType())) {
          Files.createDirectories(host.getParent());
          if (!Files.exists(host)) {
            Files.createFile(host);
          }
        } else {
          Files.createDirectories(host);
        }
      }
      args.addAll(List.of("--volume", host + ":" + m.getMountPath() + options));
    }
    args.addAll(List.of("--entrypoint", JSON.writeValueAsString(c.getCommand()), c.getImage()));
    args.addAll(c.getArgs() == null ? List.of() : c.getArgs());
    args.addAll(extraArgs);
    return args;
  }

  /** The node's folder for a host path. */
  private Path hostPath(String path) {
    return node.resolve("host").resolve(path.substring(1));
  }

  /** A configMap volume as kubelet writes it: the keys are links into a timestamped folder. */
  private Path configMapVolume(String name) throws IOException {
    assertEquals(upstream.configMap().getMetadata().getName(), name);
    Path volume = node.resolve("configmap-" + name);
    if (Files.exists(volume)) {
      return volume;
    }
    Path payload = Files.createDirectories(volume.resolve("..2026_12_07_20_00_00.000000001"));
    Files.createSymbolicLink(volume.resolve("..data"), payload.getFileName());
    for (Map.Entry<String, String> e : upstream.configMap().getData().entrySet()) {
      Path file = Files.writeString(payload.resolve(e.getKey()), e.getValue());
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
      Files.createSymbolicLink(volume.resolve(e.getKey()), Path.of("..data", e.getKey()));
    }
    return volume;
  }

  private Volume volume(String name) {
    return pod.getVolumes().stream().filter(v -> v.getName().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no volume " + name));
  }

  private static String mountPath(Container c, String volume) {
    return c.getVolumeMounts().stream().filter(m -> m.getName().equals(volume)).findFirst()
        .orElseThrow(() -> new AssertionError(c.getName() + " does not mount " + volume)).getMountPath();
  }

  private static List<Container> allContainers(PodSpec pod) {
    return Stream.concat(pod.getInitContainers().stream(), pod.getContainers().stream()).toList();
  }

  private static Object fileKey(Path p) throws IOException {
    return Files.readAttributes(p, BasicFileAttributes.class).fileKey();
  }

  private static List<Path> entries(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.sorted().toList();
    }
  }
}
