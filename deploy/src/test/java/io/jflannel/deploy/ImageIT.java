package io.jflannel.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jflannel.netlink.testing.TestNetns;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The image scripts/image.sh built from this checkout: its configuration, its OCI archive,
 * and the tools inside it, run with podman (containers joined to a test namespace where they
 * touch the kernel).
 */
@Tag("image")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ImageIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** The capabilities the manifest grants flanneld. */
  private static final List<String> MANIFEST_CAPS = List.of("NET_ADMIN", "NET_RAW");

  private String image;

  @BeforeAll
  void requireImage() throws Exception {
    image = ImageUnderTest.require();
  }

  @Test
  void configurationRunsFlanneldWithAPathToTheSystemTools() throws Exception {
    JsonNode inspect = JSON.readTree(ImageUnderTest.podman(60, List.of("image", "inspect", image))
        .requireSuccess().output()).get(0);
    JsonNode config = inspect.path("Config");
    assertEquals(JSON.readTree("[\"/opt/bin/flanneld\"]"), config.path("Entrypoint"), config.toString());
    List<String> env = new ArrayList<>();
    config.path("Env").forEach(e -> env.add(e.asText()));
    assertTrue(env.stream().anyMatch(e -> e.startsWith("PATH=") && e.contains("/usr/sbin")), env.toString());
    System.out.printf("image %s: %d MB uncompressed%n", image.substring(0, 12), inspect.path("Size").asLong() / 1_000_000);
  }

  @Test
  void ociArchiveHoldsThisImage() throws Exception {
    Path archive = RepoFiles.root().resolve("target/image/jflannel.oci.tar");
    assertTrue(Files.isRegularFile(archive), archive + " missing");
    JsonNode index = JSON.readTree(tarEntry(archive, "index.json"));
    assertEquals(1, index.path("manifests").size(), index.toString());
    JsonNode entry = index.path("manifests").get(0);
    assertEquals("application/vnd.oci.image.manifest.v1+json", entry.path("mediaType").asText(), entry.toString());
    JsonNode manifest = JSON.readTree(tarEntry(archive, blob(entry.path("digest").asText())));
    // An image's ID is the digest of its configuration.
    assertEquals("sha256:" + image, manifest.path("config").path("digest").asText(), manifest.toString());
    JsonNode config = JSON.readTree(tarEntry(archive, blob(manifest.path("config").path("digest").asText())));
    assertEquals(JSON.readTree("[\"/opt/bin/flanneld\"]"), config.at("/config/Entrypoint"));
    assertEquals("linux", config.path("os").asText());
    assertEquals("amd64", config.path("architecture").asText());
  }

  @Test
  void everyCommandTheDaemonAndTheManifestRunIsThere() throws Exception {
    List<String> commands = List.of(
        // the traffic rules: iptables in both flavours and both families, nftables
        "iptables", "iptables-save", "iptables-restore", "ip6tables", "ip6tables-save", "ip6tables-restore",
        "iptables-nft", "iptables-nft-save", "iptables-nft-restore",
        "ip6tables-nft", "ip6tables-nft-save", "ip6tables-nft-restore",
        "iptables-legacy", "iptables-legacy-save", "iptables-legacy-restore",
        "ip6tables-legacy", "ip6tables-legacy-save", "ip6tables-legacy-restore", "nft", "ip",
        // the manifest's commands and what the launchers and install-conf run
        "/opt/bin/flanneld", "/opt/bin/install-conf", "/opt/jflannel/flanneld", "/opt/jre/bin/java",
        "sh", "readlink", "dirname", "basename", "mktemp", "cat", "sync", "chmod", "mv", "rm");
    String script = "for c in \"$@\"; do command -v \"$c\" >/dev/null || echo \"missing: $c\"; done";
    List<String> args = new ArrayList<>(List.of("run", "--rm", "--network", "none", "--entrypoint", "/bin/sh",
        image, "-c", script, "sh"));
    args.addAll(commands);
    ProcessRun run = ImageUnderTest.podman(120, args).requireSuccess();
    assertEquals("", run.output().strip());
  }

  @Test
  void bothIptablesFlavoursAndNftablesProgramTheNamespaceTheContainerJoins() throws Exception {
    try (TestNetns ns = TestNetns.create("img")) {
      String script = """
          set -e
          printf '*nat\\n:JFL-LEGACY - [0:0]\\nCOMMIT\\n' | iptables-legacy-restore --noflush --wait
          printf '*nat\\n:JFL-NFT - [0:0]\\nCOMMIT\\n' | iptables-nft-restore --noflush --wait
          printf '*filter\\n:JFL-LEGACY6 - [0:0]\\nCOMMIT\\n' | ip6tables-legacy-restore --noflush --wait
          printf '*filter\\n:JFL-NFT6 - [0:0]\\nCOMMIT\\n' | ip6tables-nft-restore --noflush --wait
          nft add table inet jfl_image
          iptables --version
          """;
      ProcessRun run = ImageUnderTest.podman(120, withCaps(List.of("run", "--rm", "--network",
          "ns:/run/netns/" + ns.name()), List.of("--entrypoint", "/bin/sh", image, "-c", script))).requireSuccess();
      // Debian's default flavour is nft; the plain name points at it.
      assertTrue(run.output().contains("(nf_tables)"), run.output());
      // Seen from outside the container: the rules are in the namespace's kernel tables.
      assertTrue(ns.exec("iptables-legacy-save", "-t", "nat").contains(":JFL-LEGACY"));
      assertTrue(ns.exec("iptables-nft-save", "-t", "nat").contains(":JFL-NFT"));
      assertTrue(ns.exec("ip6tables-legacy-save", "-t", "filter").contains(":JFL-LEGACY6"));
      assertTrue(ns.exec("ip6tables-nft-save", "-t", "filter").contains(":JFL-NFT6"));
      assertTrue(ns.exec("nft", "list", "tables").contains("table inet jfl_image"));
    }
  }

  @Test
  void theJavaRuntimeMapsTheAppCdsArchiveOfEitherStore() throws Exception {
    for (String store : List.of("etcd", "kube")) {
      List<String> args = new ArrayList<>(List.of("run", "--rm", "--network", "none",
          // -Xshare:on: the JVM refuses to start when the archive cannot be mapped.
          "-e", "JFLANNEL_JAVA_OPTS=-Xshare:on -Xlog:cds=info", image));
      if (store.equals("kube")) {
        args.add("--kube-subnet-mgr");
      }
      args.add("--version");
      ProcessRun run = ImageUnderTest.podman(120, args).requireSuccess();
      assertTrue(run.output().contains("/opt/jflannel/flanneld-" + store + ".jsa"),
          store + ": the archive was not mapped:\n" + run.output());
    }
  }

  /** {@code head}, then the capabilities the manifest grants, then {@code tail}. */
  static List<String> withCaps(List<String> head, List<String> tail) {
    List<String> args = new ArrayList<>(head);
    for (String cap : MANIFEST_CAPS) {
      args.addAll(List.of("--cap-add", cap));
    }
    args.addAll(tail);
    return args;
  }

  private static String blob(String digest) {
    return "blobs/" + digest.replace(':', '/');
  }

  private static String tarEntry(Path archive, String name) throws Exception {
    return ProcessRun.run(archive.getParent(), Map.of(), 120, List.of("tar", "-xOf", archive.toString(), name))
        .requireSuccess().output();
  }
}
