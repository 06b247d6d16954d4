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
import java.util.Set;
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
  void baseScriptRejectsAPackageListWithoutPackages() throws Exception {
    Path list = Files.writeString(opt.resolve("packages"), "# only a comment\n\n");
    ProcessRun run = ProcessRun.run(opt, Map.of(), 30,
        List.of(RepoFiles.image("make-base.sh").toString(), list.toString(), opt.resolve("base.tar").toString()));
    assertEquals(1, run.exitCode(), run.output());
    assertTrue(run.output().contains("no packages listed in " + list), run.output());
    assertFalse(Files.exists(opt.resolve("base.tar")));
  }

  @Test
  void basePackagesHoldTheToolsTheDaemonRunsAndTheJavaRuntimesLibraries() throws IOException {
    List<String> packages = Files.readAllLines(RepoFiles.image("base-packages")).stream()
        .map(l -> l.replaceAll("#.*", "").strip())
        .filter(l -> !l.isEmpty())
        .toList();
    // iptables brings both flavours (xtables-nft-multi and xtables-legacy-multi); the launchers
    // and install-conf are shell scripts over coreutils; libjvm needs libstdc++ and libgcc_s.
    assertTrue(packages.containsAll(List.of("iptables", "nftables", "iproute2", "dash", "coreutils",
        "libc6", "libgcc-s1", "libstdc++6", "zlib1g", "base-files", "base-passwd")), packages.toString());
    assertEquals(packages.size(), Set.copyOf(packages).size(), "listed twice: " + packages);
  }

  @Test
  void inputsDigestFollowsEveryInputOfTheImage() throws Exception {
    Path root = opt.resolve("repo");
    Files.createDirectories(root.resolve("deploy/image"));
    Files.createDirectories(root.resolve("daemon/target/lib/kube"));
    Files.writeString(root.resolve("Dockerfile"), "FROM x\n");
    Files.writeString(root.resolve("deploy/image/flanneld"), "#!/bin/sh\n");
    Files.writeString(root.resolve("daemon/target/flanneld"), "#!/bin/sh\n");
    Files.writeString(root.resolve("daemon/target/jflannel-daemon.jar"), "jar");
    Files.writeString(root.resolve("daemon/target/lib/kube/a.jar"), "a");
    Files.writeString(root.resolve("daemon/target/unrelated.txt"), "not an input");
    String first = digest(root);
    assertTrue(first.matches("[0-9a-f]{64}"), first);
    assertEquals(first, digest(root), "same inputs, same digest");
    Files.writeString(root.resolve("daemon/target/unrelated.txt"), "changed");
    assertEquals(first, digest(root), "only the image's inputs count");
    for (String input : List.of("Dockerfile", "deploy/image/flanneld", "daemon/target/flanneld",
        "daemon/target/jflannel-daemon.jar", "daemon/target/lib/kube/a.jar")) {
      String before = Files.readString(root.resolve(input));
      Files.writeString(root.resolve(input), before + "x");
      assertFalse(first.equals(digest(root)), "a change of " + input + " changes the digest");
      Files.writeString(root.resolve(input), before);
    }
    Files.move(root.resolve("daemon/target/lib/kube/a.jar"), root.resolve("daemon/target/lib/a.jar"));
    assertFalse(first.equals(digest(root)), "a jar moved to another directory changes the digest");
    Files.delete(root.resolve("daemon/target/jflannel-daemon.jar"));
    ProcessRun missing = ProcessRun.run(opt, Map.of(), 30,
        List.of(RepoFiles.image("inputs-digest.sh").toString(), root.toString()));
    assertEquals(1, missing.exitCode(), missing.output());
    assertTrue(missing.output().contains("daemon/target/jflannel-daemon.jar is missing"), missing.output());
  }

  private String digest(Path root) throws Exception {
    return ProcessRun.run(opt, Map.of(), 30, List.of(RepoFiles.image("inputs-digest.sh").toString(), root.toString()))
        .requireSuccess().output().strip();
  }

  @Test
  void scriptsExplainTheirUsageWhenCalledWrongly() throws Exception {
    for (String script : List.of("make-jre.sh", "make-cds-archive.sh", "make-base.sh", "inputs-digest.sh")) {
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
