package io.jflannel.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged launcher {@code target/flanneld}, run as a user would: from another working
 * directory, through a symlink, without root-only resources.
 */
class LauncherIT {
  static final Path LAUNCHER = Path.of(System.getProperty("flanneld.launcher", "target/flanneld"))
      .toAbsolutePath();

  @TempDir Path cwd;

  record Result(int status, String stdout, String stderr) {}

  Result run(Path launcher, String... args) throws IOException, InterruptedException {
    return run(launcher, java.util.Map.of(), args);
  }

  Result run(Path launcher, java.util.Map<String, String> env, String... args)
      throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(launcher.toString());
    cmd.addAll(List.of(args));
    Path out = cwd.resolve("out");
    Path err = cwd.resolve("err");
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(cwd.toFile())
        .redirectOutput(out.toFile()).redirectError(err.toFile());
    // The daemon must not pick up flags from the environment the tests run in.
    pb.environment().keySet().removeIf(k -> k.startsWith("FLANNELD_"));
    pb.environment().putAll(env);
    Process p = pb.start();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "launcher did not finish");
    return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
        Files.readString(err, StandardCharsets.UTF_8));
  }

  @Test
  void launcherIsExecutable() {
    assertTrue(Files.isExecutable(LAUNCHER), LAUNCHER + " is not executable");
  }

  @Test
  void versionFromAnotherDirectory() throws Exception {
    Result r = run(LAUNCHER, "--version");
    assertEquals(0, r.status(), r.stderr());
    assertEquals(Version.current(), r.stdout().strip());
    assertTrue(r.stdout().strip().matches("\\d+\\.\\d+\\.\\d+.*"), r.stdout());
  }

  @Test
  void helpThroughASymlink() throws Exception {
    Path link = cwd.resolve("flanneld-link");
    Files.createSymbolicLink(link, LAUNCHER);
    Result r = run(link, "-help");
    assertEquals(0, r.status(), r.stderr());
    assertTrue(r.stdout().contains("--kube-subnet-mgr"), r.stdout());
  }

  @Test
  void jvmRunsWithTheFootprintSettings() throws Exception {
    // docs/decisions/0830 and 0832: a JVM that lacked one of these flags would not even start.
    Result r = run(LAUNCHER, java.util.Map.of("JFLANNEL_JAVA_OPTS", "-XX:+PrintFlagsFinal"), "--version");
    assertEquals(0, r.status(), r.stderr());
    for (String flag : List.of("MaxHeapFreeRatio", "MinHeapFreeRatio", "MaxNewSize", "ShrinkHeapInSteps",
        "TrimNativeHeapInterval")) {
      String line = flagLine(r, flag);
      assertTrue(line.contains("{command line}"), line);
    }
  }

  @Test
  void bothStoresGetASmallYoungGenerationAndRaisedCompileThresholds() throws Exception {
    // docs/footprint.md: 12 % free and thresholds x6 for either store; a 6 MB young generation
    // for etcd (its update storms promote less with it), 3 MB for kube.
    java.util.Map<String, String> env = java.util.Map.of("JFLANNEL_JAVA_OPTS", "-XX:+PrintFlagsFinal");
    for (List<String> args : List.of(List.of("--version"), List.of("--kube-subnet-mgr", "--version"))) {
      Result r = run(LAUNCHER, env, args.toArray(String[]::new));
      assertEquals(args.contains("--kube-subnet-mgr") ? "3145728" : "6291456", flagValue(r, "MaxNewSize"), args.toString());
      assertEquals("6.000000", flagValue(r, "CompileThresholdScaling"), args.toString());
      assertEquals("12", flagValue(r, "MaxHeapFreeRatio"), args.toString());
    }
  }

  /** The {@code -XX:+PrintFlagsFinal} line of {@code flag} in a successful run's output. */
  private static String flagLine(Result r, String flag) {
    assertEquals(0, r.status(), r.stderr());
    return r.stdout().lines().filter(l -> l.matches("\\s*\\S+\\s+" + flag + "\\s.*")).findFirst()
        .orElseThrow(() -> new AssertionError("no " + flag + " in -XX:+PrintFlagsFinal"));
  }

  private static String flagValue(Result r, String flag) {
    return flagLine(r, flag).split("=", 2)[1].trim().split("\\s+")[0];
  }

  @Test
  void launcherMapsTheArchiveOfTheSelectedStore() throws Exception {
    // docs/decisions/0831: one AppCDS archive per subnet store, chosen from the command line
    // and FLANNELD_KUBE_SUBNET_MGR. -Xshare:on makes an unusable archive a start failure.
    Path dir = LAUNCHER.getParent();
    assertTrue(Files.size(dir.resolve("flanneld-etcd.jsa")) > 0, "no etcd archive next to " + LAUNCHER);
    assertTrue(Files.size(dir.resolve("flanneld-kube.jsa")) > 0, "no kube archive next to " + LAUNCHER);
    java.util.Map<String, String> env = java.util.Map.of("JFLANNEL_JAVA_OPTS", "-Xshare:on -XX:+PrintFlagsFinal");
    assertEquals("flanneld-etcd.jsa", archive(run(LAUNCHER, env, "--version")));
    assertEquals("flanneld-kube.jsa", archive(run(LAUNCHER, env, "--kube-subnet-mgr", "--version")));
    assertEquals("flanneld-kube.jsa", archive(run(LAUNCHER, env, "-kube-subnet-mgr=true", "--version")));
    assertEquals("flanneld-etcd.jsa", archive(run(LAUNCHER, env, "-kube-subnet-mgr=false", "--version")));
    assertEquals("flanneld-etcd.jsa", archive(run(LAUNCHER, env, "--kube-subnet-mgr", "false", "--version")));
    java.util.Map<String, String> kubeEnv = new java.util.HashMap<>(env);
    kubeEnv.put("FLANNELD_KUBE_SUBNET_MGR", "true");
    assertEquals("flanneld-kube.jsa", archive(run(LAUNCHER, kubeEnv, "--version")));
    assertEquals("flanneld-etcd.jsa", archive(run(LAUNCHER, kubeEnv, "-kube-subnet-mgr=0", "--version")));
  }

  @Test
  void launcherPutsOnlyTheSelectedStoresClientLibrariesOnTheClassPath() throws Exception {
    // docs/decisions/0837: lib/ for both stores, lib/etcd/ and lib/kube/ for one each.
    Path lib = LAUNCHER.getParent().resolve("lib");
    assertTrue(jarNames(lib.resolve("etcd")).stream().anyMatch(j -> j.startsWith("jetcd-core-")), "no jetcd in lib/etcd");
    assertTrue(jarNames(lib.resolve("kube")).stream().anyMatch(j -> j.startsWith("kubernetes-client-")),
        "no fabric8 client in lib/kube");
    assertTrue(jarNames(lib).stream().anyMatch(j -> j.startsWith("jackson-databind-")), "no jackson in lib");
    for (String store : List.of("etcd", "kube")) {
      for (String jar : jarNames(lib.resolve(store))) {
        assertFalse(Files.exists(lib.resolve(jar)), jar + " is in both lib/ and lib/" + store);
      }
    }
    java.util.Map<String, String> env = java.util.Map.of("JFLANNEL_JAVA_OPTS", "-XshowSettings:properties");
    Result etcd = run(LAUNCHER, env, "--version");
    assertEquals(0, etcd.status(), etcd.stderr());
    assertTrue(etcd.stderr().contains("lib/etcd/jetcd-core-"), etcd.stderr());
    assertFalse(etcd.stderr().contains("lib/kube/"), etcd.stderr());
    assertTrue(etcd.stderr().contains("jflannel.classpath.store = etcd"), etcd.stderr());
    Result kube = run(LAUNCHER, env, "--kube-subnet-mgr", "--version");
    assertEquals(0, kube.status(), kube.stderr());
    assertTrue(kube.stderr().contains("lib/kube/kubernetes-client-"), kube.stderr());
    assertFalse(kube.stderr().contains("lib/etcd/"), kube.stderr());
    assertTrue(kube.stderr().contains("jflannel.classpath.store = kube"), kube.stderr());
  }

  @Test
  void flagsThatDisagreeWithTheLaunchersClassPathAreOneLineAndExitOne() throws Exception {
    // As if the launcher had guessed etcd for a kube command line: the daemon stops before
    // anything needs a class the class path lacks.
    Result r = run(LAUNCHER, java.util.Map.of("JFLANNEL_JAVA_OPTS", "-Djflannel.classpath.store=etcd"),
        "--kube-subnet-mgr", "--kube-api-url", "http://127.0.0.1:1");
    assertEquals(1, r.status(), r.stderr());
    List<String> lines = r.stderr().lines().toList();
    assertEquals(1, lines.size(), r.stderr());
    assertTrue(lines.get(0).startsWith("flanneld: the launcher put the etcd store's libraries on the class path"),
        lines.get(0));
  }

  private static List<String> jarNames(Path dir) throws IOException {
    try (var files = Files.list(dir)) {
      return files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".jar")).toList();
    }
  }

  private static String archive(Result r) {
    String line = flagLine(r, "SharedArchiveFile");
    assertTrue(line.contains("{command line}"), line);
    return Path.of(flagValue(r, "SharedArchiveFile")).getFileName().toString();
  }

  @Test
  void unknownFlagExitsTwo() throws Exception {
    Result r = run(LAUNCHER, "--no-such-flag");
    assertEquals(2, r.status());
    assertTrue(r.stderr().contains("--no-such-flag"), r.stderr());
  }
}
