package io.jflannel.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The image's shell scripts run against a staged /opt layout whose daemon launcher is a
 * stand-in that prints what it was given, so no JVM or daemon build is needed.
 */
class ImageScriptsTest {
  /**
   * Prints the environment the image launcher prepared (the entry point only when replaced)
   * and each argument on its own line.
   */
  private static final String RECORDING_LAUNCHER = """
      #!/bin/sh
      printf 'JAVA_HOME=%s\\n' "$JAVA_HOME"
      printf 'OPTS=%s\\n' "$JFLANNEL_JAVA_OPTS"
      printf 'MALLOC_ARENA_MAX=%s\\n' "${MALLOC_ARENA_MAX:-}"
      [ -z "${JFLANNEL_MAIN:-}" ] || printf 'MAIN=%s\\n' "$JFLANNEL_MAIN"
      for a in "$@"; do printf 'ARG=%s\\n' "$a"; done
      """;

  /** Heap, native-heap and allocator settings both launchers carry (docs/decisions/0830, 0832). */
  static final List<String> FOOTPRINT_FLAGS = List.of("-Xms8m", "-XX:MinHeapFreeRatio=10", "-XX:-ShrinkHeapInSteps",
      "-XX:TrimNativeHeapInterval=5000", "-Dio.netty.allocator.type=unpooled");

  @TempDir Path opt;

  @BeforeEach
  void stageLayout() throws IOException {
    install(RepoFiles.image("flanneld"), opt.resolve("bin/flanneld"));
    writeExecutable(opt.resolve("jflannel/flanneld"), RECORDING_LAUNCHER);
    Files.createDirectories(opt.resolve("jre"));
  }

  @Test
  void launcherSetsTheRuntimeAndSmallFootprintFlagsAndPassesArgumentsThrough() throws Exception {
    List<String> out = runLauncher(Map.of(), "--ip-masq", "--iface", "eth 0");
    assertEquals("JAVA_HOME=" + opt.toRealPath().resolve("jre"), out.get(0));
    List<String> opts = opts(out);
    assertTrue(opts.containsAll(List.of("-Xmx64m", "-Xms8m", "-XX:+UseSerialGC", "-Xss256k",
        "-XX:TieredStopAtLevel=1", "-XX:+ExitOnOutOfMemoryError")), opts.toString());
    // The footprint flags of docs/decisions/0830.
    assertTrue(opts.containsAll(FOOTPRINT_FLAGS), opts.toString());
    // Per-store flags are the daemon launcher's choice (0837); pinned here they would override it.
    assertTrue(opts.stream().noneMatch(o -> o.startsWith("-XX:MaxNewSize") || o.startsWith("-XX:MaxHeapFreeRatio")
        || o.startsWith("-XX:CompileThresholdScaling")), opts.toString());
    assertEquals(List.of("ARG=--ip-masq", "ARG=--iface", "ARG=eth 0"), out.subList(3, out.size()));
  }

  @Test
  void launcherLimitsMallocArenasUnlessTheOperatorChoseAValue() throws Exception {
    assertEquals("MALLOC_ARENA_MAX=2", runLauncher(Map.of("MALLOC_ARENA_MAX", "")).get(2));
    assertEquals("MALLOC_ARENA_MAX=4", runLauncher(Map.of("MALLOC_ARENA_MAX", "4")).get(2));
  }

  @Test
  void imageAndDaemonLauncherShipTheSameFootprintFlags() throws Exception {
    String daemonLauncher = Files.readString(RepoFiles.root().resolve("daemon/src/main/launcher/flanneld"));
    for (String flag : FOOTPRINT_FLAGS) {
      assertTrue(daemonLauncher.contains(flag), "daemon launcher lacks " + flag);
    }
    assertTrue(daemonLauncher.contains("MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-2}"), "daemon launcher: malloc arenas");
  }

  @Test
  void imageLauncherLeavesTheArchiveChoiceToTheDaemonLauncher() throws Exception {
    // The archives sit next to the daemon launcher, which picks one per subnet store (0831).
    Files.writeString(opt.resolve("jflannel/flanneld-etcd.jsa"), "archive");
    Files.writeString(opt.resolve("jflannel/flanneld-kube.jsa"), "archive");
    List<String> opts = opts(runLauncher(Map.of(), "--kube-subnet-mgr"));
    assertTrue(opts.stream().noneMatch(o -> o.startsWith("-XX:SharedArchiveFile")), opts.toString());
  }

  @Test
  void operatorOptionsComeLastSoTheyOverrideTheDefaults() throws Exception {
    List<String> opts = opts(runLauncher(Map.of("JFLANNEL_JAVA_OPTS", "-Xmx256m")));
    assertTrue(opts.indexOf("-Xmx256m") > opts.indexOf("-Xmx64m"), opts.toString());
  }

  @Test
  void launcherFindsItsLayoutThroughASymlink() throws Exception {
    Path elsewhere = Files.createDirectories(opt.resolve("elsewhere"));
    Path link = Files.createSymbolicLink(elsewhere.resolve("flanneld"), opt.resolve("bin/flanneld"));
    List<String> out = ProcessRun.run(opt, Map.of(), 30, List.of(link.toString())).requireSuccess()
        .output().lines().toList();
    assertEquals("JAVA_HOME=" + opt.toRealPath().resolve("jre"), out.get(0));
  }

  @Test
  void cdsScriptFailsNamingTheArchiveWhenTheDumpWroteNothing() throws Exception {
    // The recording launcher ignores -XX:ArchiveClassesAtExit, as a JVM without a base archive would.
    ProcessRun run = ProcessRun.run(opt, Map.of(), 30,
        List.of(RepoFiles.image("make-cds-archive.sh").toString(), opt.toString()));
    assertEquals(1, run.exitCode(), run.output());
    assertTrue(run.output().contains(opt.resolve("jflannel/flanneld-etcd.jsa") + " was not written"), run.output());
    List<String> lines = run.output().lines().toList();
    assertTrue(lines.stream().anyMatch(l -> l.startsWith("OPTS=") && l.endsWith(" -XX:ArchiveClassesAtExit="
        + opt.resolve("jflannel/flanneld-etcd.jsa"))), "the dump run passes the archive option to the JVM: " + run.output());
    // The build-only training entry point, not the daemon, with the store chosen by the flag.
    assertTrue(lines.contains("MAIN=io.jflannel.daemon.runtime.CdsTraining"), run.output());
    assertTrue(lines.contains("ARG=--kube-subnet-mgr=false"), run.output());
  }

  @Test
  void jreScriptRejectsAModuleListWithoutModules() throws Exception {
    Path list = Files.writeString(opt.resolve("modules"), "# only a comment\n\n   \n");
    ProcessRun run = ProcessRun.run(opt, Map.of(), 30,
        List.of(RepoFiles.image("make-jre.sh").toString(), list.toString(), opt.resolve("out").toString()));
    assertEquals(1, run.exitCode(), run.output());
    assertTrue(run.output().contains("no modules listed in " + list), run.output());
    assertFalse(Files.exists(opt.resolve("out")));
  }

  @Test
  void scriptsExplainTheirUsageWhenCalledWrongly() throws Exception {
    for (String script : List.of("make-jre.sh", "make-cds-archive.sh")) {
      ProcessRun run = ProcessRun.run(opt, Map.of(), 30, List.of(RepoFiles.image(script).toString()));
      assertEquals(2, run.exitCode(), script + ": " + run.output());
      assertTrue(run.output().startsWith("usage: " + script), run.output());
    }
  }

  private List<String> runLauncher(Map<String, String> env, String... args) throws Exception {
    List<String> command = new java.util.ArrayList<>(List.of(opt.resolve("bin/flanneld").toString()));
    command.addAll(List.of(args));
    return ProcessRun.run(opt, env, 30, command).requireSuccess().output().lines().toList();
  }

  private static List<String> opts(List<String> out) {
    String line = out.get(1);
    assertTrue(line.startsWith("OPTS="), line);
    return List.of(line.substring("OPTS=".length()).strip().split("\\s+"));
  }

  static void install(Path source, Path target) throws IOException {
    Files.createDirectories(target.getParent());
    Files.copy(source, target, StandardCopyOption.REPLACE_EXISTING);
    Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  private static void writeExecutable(Path target, String text) throws IOException {
    Files.createDirectories(target.getParent());
    Files.writeString(target, text);
    Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwxr-xr-x"));
  }
}
