package io.jflannel.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jflannel.deploy.DockerfileModel.Instruction;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The top-level Dockerfile's structure and its agreement with scripts/image.sh, which builds
 * it. ImageIT checks the image that comes out.
 */
class DockerfileTest {
  private static DockerfileModel dockerfile;
  private static String imageScript;

  @BeforeAll
  static void parse() throws IOException {
    dockerfile = DockerfileModel.parse(RepoFiles.dockerfile());
    imageScript = Files.readString(RepoFiles.root().resolve("scripts/image.sh"));
  }

  @Test
  void oneStageOnTheLocallyMadeBaseSoNothingIsPulledFromARegistry() {
    assertEquals(1, dockerfile.stages().size());
    assertEquals("${BASE}", dockerfile.last().image());
    // The script imports the base it made from Debian packages and hands over its ID.
    assertTrue(imageScript.contains("--build-arg \"BASE=$base_id\""), "image.sh passes BASE");
    assertTrue(imageScript.contains("--pull=never"), "image.sh never pulls");
  }

  @Test
  void copiesTheContextTheScriptAssembles() {
    List<List<String>> copies = dockerfile.last().all("COPY").stream().map(DockerfileTest::words).toList();
    assertEquals(List.of(List.of("opt/", "/opt/"), List.of("make-cds-archive.sh", "/tmp/make-cds-archive.sh")), copies);
    for (String placed : List.of("\"$ctx/opt/jre\"", "\"$ctx/opt/jflannel/flanneld\"",
        "\"$ctx/opt/jflannel/jflannel-daemon.jar\"", "\"$ctx/opt/jflannel/lib\"", "\"$ctx/opt/bin/flanneld\"",
        "\"$ctx/opt/bin/install-conf\"", "\"$ctx/make-cds-archive.sh\"")) {
      assertTrue(imageScript.contains(placed), "image.sh does not place " + placed + " in the build context");
    }
  }

  @Test
  void appCdsArchivesAreDumpedAfterTheLayoutIsInPlace() {
    List<Instruction> instructions = dockerfile.last().instructions();
    Instruction dump = instructions.stream()
        .filter(i -> i.keyword().equals("RUN") && i.args().contains("/tmp/make-cds-archive.sh /opt"))
        .findFirst().orElseThrow(() -> new AssertionError("no AppCDS dump in the Dockerfile"));
    int lastCopy = -1;
    for (int i = 0; i < instructions.size(); i++) {
      if (instructions.get(i).keyword().equals("COPY")) {
        lastCopy = i;
      }
    }
    assertTrue(instructions.indexOf(dump) > lastCopy, "the archive records the class path, so it comes last");
  }

  @Test
  void pathReachesTheToolsTheDaemonRuns() {
    List<Instruction> env = dockerfile.last().all("ENV");
    assertEquals(1, env.size());
    String path = env.get(0).args().replaceFirst("^PATH=", "");
    // iptables*, nft and ip are in /usr/sbin; an imported root file system has no PATH of its own.
    assertTrue(List.of(path.split(":")).containsAll(List.of("/usr/sbin", "/usr/bin", "/sbin", "/bin")), path);
  }

  @Test
  void entrypointIsFlanneldAsTheManifestRunsIt() throws IOException {
    List<Instruction> entrypoints = dockerfile.last().all("ENTRYPOINT");
    assertEquals(1, entrypoints.size());
    List<String> exec = new ObjectMapper().readValue(entrypoints.get(0).args(), new TypeReference<List<String>>() {});
    assertEquals(List.of("/opt/bin/flanneld"), exec);
    assertEquals(exec, KubeFlannelManifest.load().flanneldContainer().getCommand());
  }

  private static List<String> words(Instruction i) {
    return List.of(i.args().strip().split("\\s+"));
  }
}
