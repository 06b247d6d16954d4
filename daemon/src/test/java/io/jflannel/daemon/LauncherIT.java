package io.jflannel.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jflannel.daemon.flags.CommandLineOutcome;
import io.jflannel.daemon.flags.FlagParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
    assertEquals("", r.stdout());
    assertEquals("v" + Version.current(), r.stderr().strip());
    assertTrue(r.stderr().strip().matches("v\\d+\\.\\d+\\.\\d+.*"), r.stderr());
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

  /**
   * The one place the store is decided before the JVM starts (the launcher's {@code store_of}),
   * tested once: for each spelling, the store the daemon's own flag parser reads from the same
   * arguments and environment is the one whose class path, archive, young generation and
   * property the launcher hands the JVM. A stand-in {@code java} prints its arguments, so no
   * JVM starts; the other tests run the real one for one command line of each store. (Command
   * lines the daemon refuses end with status 2 whatever the store.)
   */
  @Test
  void theStoreIsDecidedOnceAsTheDaemonReadsTheFlags() throws Exception {
    Path javaHome = Files.createDirectories(cwd.resolve("jdk/bin")).getParent();
    Path fakeJava = javaHome.resolve("bin/java");
    Files.writeString(fakeJava, "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done\n");
    assertTrue(fakeJava.toFile().setExecutable(true));
    Path dir = LAUNCHER.getParent();
    Map<String, String> kubeEnv = Map.of("FLANNELD_KUBE_SUBNET_MGR", "true");
    List<Map.Entry<Map<String, String>, List<String>>> cases = List.of(
        Map.entry(Map.of(), List.of()),
        Map.entry(Map.of(), List.of("--kube-subnet-mgr")),
        Map.entry(Map.of(), List.of("-kube-subnet-mgr", "--ip-masq")),
        Map.entry(Map.of(), List.of("-kube-subnet-mgr=true")),
        Map.entry(Map.of(), List.of("--kube-subnet-mgr=1")),
        Map.entry(Map.of(), List.of("--kube-subnet-mgr=t")),
        Map.entry(Map.of(), List.of("-kube-subnet-mgr=false")),
        Map.entry(Map.of(), List.of("--kube-subnet-mgr", "false")),
        Map.entry(Map.of(), List.of("--kube-subnet-mgr", "FALSE")),
        Map.entry(Map.of(), List.of("-kube-subnet-mgr", "true")),
        Map.entry(Map.of(), List.of("--kube-subnet-mgr=true", "--kube-subnet-mgr=false")),
        Map.entry(kubeEnv, List.of()),
        Map.entry(kubeEnv, List.of("-kube-subnet-mgr=0")),
        Map.entry(Map.of("FLANNELD_KUBE_SUBNET_MGR", "1"), List.of()),
        Map.entry(Map.of("FLANNELD_KUBE_SUBNET_MGR", "false"), List.of("--kube-subnet-mgr")),
        Map.entry(Map.of("FLANNELD_KUBE_SUBNET_MGR", ""), List.of()));
    for (var c : cases) {
      String what = c.getValue() + " with " + c.getKey();
      var parsed = FlagParser.parse(c.getValue(), c.getKey());
      assertTrue(parsed instanceof CommandLineOutcome.Start, what + ": " + parsed);
      String store = ((CommandLineOutcome.Start) parsed).options().kube().enabled()
          ? "kube" : "etcd";
      Map<String, String> env = new HashMap<>(c.getKey());
      env.put("JAVA_HOME", javaHome.toString());
      Result r = run(LAUNCHER, env, c.getValue().toArray(String[]::new));
      assertEquals(0, r.status(), r.stderr());
      List<String> argv = r.stdout().lines().toList();
      String expected = what + " selects " + store + ": " + argv;
      assertTrue(argv.contains("-Djflannel.classpath.store=" + store), expected);
      assertTrue(argv.contains("-XX:SharedArchiveFile=" + dir.resolve("flanneld-" + store + ".jsa")), expected);
      assertTrue(argv.contains("-XX:MaxNewSize=" + (store.equals("kube") ? "3m" : "6m")), expected);
      String classPath = argv.get(argv.indexOf("-cp") + 1);
      assertTrue(classPath.endsWith(":" + dir.resolve("lib/" + store) + "/*"), expected);
      List<String> tail = new ArrayList<>();
      tail.add("io.jflannel.daemon.Flanneld");
      tail.addAll(c.getValue());
      assertEquals(tail, argv.subList(argv.size() - tail.size(), argv.size()), expected);
    }
  }

  @Test
  void launcherMapsTheArchiveOfTheSelectedStore() throws Exception {
    // docs/decisions/0831: one AppCDS archive per subnet store, both written by the build's
    // training runs. -Xshare:on makes an unusable archive a start failure.
    Path dir = LAUNCHER.getParent();
    assertTrue(Files.size(dir.resolve("flanneld-etcd.jsa")) > 0, "no etcd archive next to " + LAUNCHER);
    assertTrue(Files.size(dir.resolve("flanneld-kube.jsa")) > 0, "no kube archive next to " + LAUNCHER);
    Map<String, String> env = Map.of("JFLANNEL_JAVA_OPTS", "-Xshare:on -XX:+PrintFlagsFinal");
    assertEquals("flanneld-etcd.jsa", archive(run(LAUNCHER, env, "--version")));
    assertEquals("flanneld-kube.jsa", archive(run(LAUNCHER, env, "--kube-subnet-mgr", "--version")));
  }

  @Test
  void eachStoresArchiveWasTrainedWithThatStoresClient() throws Exception {
    // The build's training runs (io.jflannel.daemon.runtime.CdsTraining, decision 0910) take
    // the store from --kube-subnet-mgr, as the launcher does: each archive holds its store's
    // client and jflannel's side of it, and nothing of the other store (0831).
    Map<String, String> print = Map.of("JFLANNEL_JAVA_OPTS", "-XX:+PrintSharedArchiveAndExit");
    for (String store : List.of("etcd", "kube")) {
      Result r = run(LAUNCHER, print, "--kube-subnet-mgr=" + store.equals("kube"));
      assertEquals(0, r.status(), r.stderr());
      List<String> archived = r.stdout().lines().filter(l -> l.matches("\\s*\\d+: \\S+ app_loader")).toList();
      boolean kube = store.equals("kube");
      for (String pkg : List.of(" io.jflannel.subnet.kube.", " io.fabric8.kubernetes.client.", " io.jflannel.subnet.etcd.",
          " io.etcd.jetcd.")) {
        boolean own = pkg.contains("kube") == kube;
        assertEquals(own, archived.stream().anyMatch(l -> l.contains(pkg)),
            store + " archive " + (own ? "lacks" : "holds") + pkg.strip() + " (" + archived.size() + " classes)");
      }
      assertTrue(archived.stream().anyMatch(l -> l.contains(" io.jflannel.daemon.Flanneld ")),
          store + " archive lacks the daemon's entry point");
    }
  }

  @Test
  void theTrainingIsItsOwnEntryPointAndTheDaemonHasNoTrainingMode() throws Exception {
    // decision 0910: the build runs the launcher with JFLANNEL_MAIN set to the training.
    Map<String, String> training = Map.of("JFLANNEL_MAIN", "io.jflannel.daemon.runtime.CdsTraining");
    Result trained = run(LAUNCHER, training, "--kube-subnet-mgr=false");
    assertEquals(0, trained.status(), trained.stderr());
    assertTrue(trained.stderr().contains("AppCDS training run (no host changes)"), trained.stderr());
    // A class path of the other store would train the wrong archive: one line, status 1.
    Map<String, String> mismatched = new HashMap<>(training);
    mismatched.put("JFLANNEL_JAVA_OPTS", "-Djflannel.classpath.store=etcd");
    Result r = run(LAUNCHER, mismatched, "--kube-subnet-mgr");
    assertEquals(1, r.status(), r.stderr());
    assertTrue(r.stderr().strip().startsWith("flanneld: the launcher put the etcd store's libraries on the class path"),
        r.stderr());
    // The daemon's own entry point ignores the property that once selected the training.
    Result daemon = run(LAUNCHER, Map.of("JFLANNEL_JAVA_OPTS", "-Djflannel.cds.training=etcd"), "--version");
    assertEquals(0, daemon.status(), daemon.stderr());
    assertEquals("v" + Version.current(), daemon.stderr().strip());
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
    Map<String, String> env = Map.of("JFLANNEL_JAVA_OPTS", "-XshowSettings:properties");
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
    Result r = run(LAUNCHER, Map.of("JFLANNEL_JAVA_OPTS", "-Djflannel.classpath.store=etcd"),
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
