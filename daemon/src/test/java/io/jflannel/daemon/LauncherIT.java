package io.jflannel.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
      String line = r.stdout().lines().filter(l -> l.matches("\\s*\\S+\\s+" + flag + "\\s.*")).findFirst()
          .orElseThrow(() -> new AssertionError("no " + flag + " in -XX:+PrintFlagsFinal"));
      assertTrue(line.contains("{command line}"), line);
    }
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

  private static String archive(Result r) {
    assertEquals(0, r.status(), r.stderr());
    String line = r.stdout().lines().filter(l -> l.matches("\\s*\\S+\\s+SharedArchiveFile\\s.*")).findFirst()
        .orElseThrow(() -> new AssertionError("no SharedArchiveFile in -XX:+PrintFlagsFinal"));
    assertTrue(line.contains("{command line}"), line);
    String path = line.split("=", 2)[1].trim().split("\\s+")[0];
    return Path.of(path).getFileName().toString();
  }

  @Test
  void unknownFlagExitsTwo() throws Exception {
    Result r = run(LAUNCHER, "--no-such-flag");
    assertEquals(2, r.status());
    assertTrue(r.stderr().contains("--no-such-flag"), r.stderr());
  }
}
