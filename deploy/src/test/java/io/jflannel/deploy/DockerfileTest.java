package io.jflannel.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jflannel.deploy.DockerfileModel.Instruction;
import io.jflannel.deploy.DockerfileModel.Stage;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The top-level Dockerfile's structure: stages, what each runs and copies, the entrypoint. */
class DockerfileTest {
  private static DockerfileModel dockerfile;

  @BeforeAll
  static void parse() throws IOException {
    dockerfile = DockerfileModel.parse(RepoFiles.dockerfile());
  }

  @Test
  void stagesAreBuildThenJlinkThenDebianRuntime() {
    assertEquals(List.of("build", "jre", "runtime"), dockerfile.stages().stream().map(Stage::name).toList());
    assertEquals(List.of("maven:3.9-eclipse-temurin-17", "maven:3.9-eclipse-temurin-17", "debian:12-slim"),
        dockerfile.stages().stream().map(Stage::image).toList());
  }

  @Test
  void buildStagePackagesTheDaemonAndWhatItNeedsWithoutRunningTests() {
    String run = dockerfile.stage("build").orElseThrow().runText();
    assertTrue(run.contains("mvn -B -DskipTests -pl daemon -am package"), run);
  }

  @Test
  void jreStageLinksTheListedModulesWithTheSharedScript() {
    Stage jre = dockerfile.stage("jre").orElseThrow();
    assertEquals(List.of("deploy/image/jre-modules", "deploy/image/make-jre.sh", "/tmp/"),
        words(jre.all("COPY").get(0)));
    assertEquals("/tmp/make-jre.sh /tmp/jre-modules /opt/jre", jre.runText());
  }

  @Test
  void runtimeStageInstallsTheToolsTheTrafficRulesUse() {
    String run = dockerfile.stage("runtime").orElseThrow().runText();
    String install = run.substring(run.indexOf("apt-get install"));
    Set<String> packages = new HashSet<>(Arrays.asList(install.split("[\\s&]+")));
    assertTrue(packages.containsAll(Set.of("iptables", "nftables", "iproute2", "ca-certificates")), install);
    assertTrue(install.contains("--no-install-recommends"), install);
  }

  @Test
  void runtimeStageHoldsTheJreTheDaemonLayoutAndTheLauncher() {
    Stage runtime = dockerfile.stage("runtime").orElseThrow();
    List<List<String>> copies = runtime.all("COPY").stream().map(DockerfileTest::words).toList();
    assertTrue(copies.contains(List.of("--from=jre", "/opt/jre", "/opt/jre")), copies.toString());
    // The daemon module's package layout: a fixed-name jar, its dependencies in lib/, its launcher.
    assertTrue(copies.contains(List.of("--from=build", "/src/daemon/target/jflannel-daemon.jar", "/opt/jflannel/")));
    assertTrue(copies.contains(List.of("--from=build", "/src/daemon/target/lib/", "/opt/jflannel/lib/")));
    assertTrue(copies.contains(
        List.of("--from=build", "--chmod=755", "/src/daemon/target/flanneld", "/opt/jflannel/flanneld")));
    assertTrue(copies.contains(List.of("--chmod=755", "deploy/image/flanneld", "/opt/bin/flanneld")));
    // The archive is dumped after everything it records (JRE, class path) is in place.
    List<Instruction> instructions = runtime.instructions();
    Instruction dump = instructions.stream()
        .filter(i -> i.keyword().equals("RUN") && i.args().contains("make-cds-archive.sh /opt"))
        .findFirst().orElseThrow(() -> new AssertionError("no AppCDS dump in the runtime stage"));
    int lastCopy = 0;
    for (int i = 0; i < instructions.size(); i++) {
      if (instructions.get(i).keyword().equals("COPY") && !instructions.get(i).args().contains("make-cds-archive")) {
        lastCopy = i;
      }
    }
    assertTrue(instructions.indexOf(dump) > lastCopy, "AppCDS dump runs after the last COPY of the layout");
  }

  @Test
  void entrypointOfTheFinalStageIsFlanneldAsTheManifestRunsIt() throws IOException {
    Stage runtime = dockerfile.last();
    assertEquals("runtime", runtime.name());
    List<Instruction> entrypoints = runtime.all("ENTRYPOINT");
    assertEquals(1, entrypoints.size());
    List<String> exec = new ObjectMapper().readValue(entrypoints.get(0).args(), new TypeReference<List<String>>() {});
    assertEquals(List.of("/opt/bin/flanneld"), exec);
    assertEquals(exec, KubeFlannelManifest.load().flanneldContainer().getCommand());
  }

  @Test
  void everyCopyFromNamesAnEarlierStage() {
    List<String> earlier = new ArrayList<>();
    for (Stage stage : dockerfile.stages()) {
      for (Instruction copy : stage.all("COPY")) {
        for (String w : words(copy)) {
          if (w.startsWith("--from=")) {
            String from = w.substring("--from=".length());
            assertTrue(earlier.contains(from), stage.name() + " copies from unknown or later stage " + from);
          }
        }
      }
      earlier.add(stage.name());
    }
  }

  @Test
  void everyFileCopiedFromTheContextExistsAndIsNotDockerignored() throws IOException {
    Path root = RepoFiles.root();
    List<PathMatcher> ignored = Files.readAllLines(RepoFiles.dockerignore()).stream()
        .map(String::strip)
        .filter(l -> !l.isEmpty() && !l.startsWith("#"))
        .map(p -> FileSystems.getDefault().getPathMatcher("glob:" + p))
        .toList();
    assertFalse(ignored.isEmpty());
    for (Stage stage : dockerfile.stages()) {
      for (Instruction copy : stage.all("COPY")) {
        List<String> w = words(copy);
        if (w.stream().anyMatch(x -> x.startsWith("--from="))) {
          continue;
        }
        List<String> sources = w.stream().filter(x -> !x.startsWith("--")).toList();
        for (String source : sources.subList(0, sources.size() - 1)) {
          if (source.equals(".")) {
            continue;
          }
          assertTrue(Files.exists(root.resolve(source)), "COPY source missing from the repository: " + source);
          Path rel = Path.of(source);
          for (PathMatcher m : ignored) {
            for (Path prefix = rel; prefix != null; prefix = prefix.getParent()) {
              assertFalse(m.matches(prefix), "COPY source excluded by .dockerignore: " + source);
            }
          }
        }
      }
    }
  }

  @Test
  void dockerignoreKeepsBuildOutputAndGitOutOfTheContext() throws IOException {
    List<String> lines = Files.readAllLines(RepoFiles.dockerignore()).stream().map(String::strip).toList();
    assertTrue(lines.contains("**/target"), "a stale target/ would leak host-built jars into the image");
    assertTrue(lines.contains(".git"));
  }

  private static List<String> words(Instruction i) {
    return List.of(i.args().strip().split("\\s+"));
  }
}
