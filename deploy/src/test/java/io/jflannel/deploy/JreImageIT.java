package io.jflannel.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Runs the Dockerfile's jlink stage (deploy/image/make-jre.sh) with the JDK running the
 * tests, then checks the runtime it links: it starts, it holds every module jdeps finds in
 * the daemon's jars, and, with the daemon packaged, the runtime stage's AppCDS dump works
 * and the archive serves the daemon's classes. The JRE is staged as the image's /opt.
 */
@Tag("image")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class JreImageIT {
  private final Path jdk = Path.of(System.getProperty("java.home"));
  private Path opt;

  @BeforeAll
  void linkTheRuntime() throws Exception {
    Prerequisites.require(Files.isExecutable(jdk.resolve("bin/jlink")) && Files.isDirectory(jdk.resolve("jmods")),
        "a JDK with jlink and jmods/ (the test JVM's java.home is " + jdk + ")");
    opt = Files.createTempDirectory("jfl-image-");
    ProcessRun.run(opt, Map.of("JAVA_HOME", jdk.toString()), 600, List.of(
        RepoFiles.image("make-jre.sh").toString(), RepoFiles.image("jre-modules").toString(),
        opt.resolve("jre").toString())).requireSuccess();
  }

  @AfterAll
  void removeStaging() throws IOException {
    if (opt == null) {
      return;
    }
    try (Stream<Path> files = Files.walk(opt)) {
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
  void linkedRuntimeStartsWithItsBaseCdsArchive() throws Exception {
    ProcessRun run = ProcessRun.run(opt, Map.of(), 60,
        List.of(java().toString(), "-Xshare:on", "-version")).requireSuccess();
    assertTrue(run.output().contains("version \"" + Runtime.version().feature()), run.output());
    assertTrue(Files.isRegularFile(opt.resolve("jre/lib/server/classes.jsa")));
    assertFalse(Files.exists(opt.resolve("jre/lib/server/classes_nocoops.jsa")));
    assertFalse(Files.exists(opt.resolve("jre/jmods")), "a runtime, not a JDK");
    assertFalse(Files.exists(opt.resolve("jre/bin/javac")), "a runtime, not a JDK");
  }

  @Test
  void linkedRuntimeHoldsEveryListedModule() throws Exception {
    Set<String> listed = listedModules();
    assertTrue(listed.contains("java.base") && listed.contains("jdk.crypto.ec"), listed.toString());
    Set<String> present = runtimeModules();
    assertTrue(present.containsAll(listed), "listed but not linked: " + difference(listed, present));
  }

  @Test
  void everyModuleTheDaemonsJarsUseIsInTheRuntime() throws Exception {
    Path target = requireDaemonPackage();
    List<String> command = new ArrayList<>(List.of(jdk.resolve("bin/jdeps").toString(),
        "--print-module-deps", "--ignore-missing-deps",
        "--multi-release", Integer.toString(Runtime.version().feature()),
        target.resolve("jflannel-daemon.jar").toString()));
    command.addAll(jars(target.resolve("lib")));
    ProcessRun run = ProcessRun.run(target, Map.of(), 600, command).requireSuccess();
    // jdeps prints warnings first; the answer is the last line, a comma-separated module list.
    List<String> lines = run.output().lines().filter(l -> !l.isBlank()).toList();
    String answer = lines.get(lines.size() - 1).strip();
    assertTrue(answer.matches("[a-z0-9.]+(,[a-z0-9.]+)*"), "unexpected jdeps output:\n" + run.output());
    Set<String> needed = new TreeSet<>(Arrays.asList(answer.split(",")));
    Set<String> present = runtimeModules();
    assertTrue(present.containsAll(needed),
        "add to deploy/image/jre-modules: " + difference(needed, present) + " (jdeps: " + needed + ")");
  }

  @Test
  void appCdsArchiveIsDumpedAndServesTheDaemonsClasses() throws Exception {
    Path target = requireDaemonPackage();
    Path app = Files.createDirectories(opt.resolve("jflannel"));
    Files.copy(target.resolve("jflannel-daemon.jar"), app.resolve("jflannel-daemon.jar"));
    for (String jar : jars(target.resolve("lib"))) { // lib/ with its store directories, as the Dockerfile copies it
      Path copy = app.resolve(target.relativize(Path.of(jar)));
      Files.createDirectories(copy.getParent());
      Files.copy(Path.of(jar), copy);
    }
    ImageScriptsTest.install(target.resolve("flanneld"), app.resolve("flanneld"));
    ImageScriptsTest.install(RepoFiles.image("flanneld"), opt.resolve("bin/flanneld"));

    ProcessRun.run(opt, Map.of(), 300,
        List.of(RepoFiles.image("make-cds-archive.sh").toString(), opt.toString())).requireSuccess();
    assertTrue(Files.size(app.resolve("flanneld-etcd.jsa")) > 0);
    assertTrue(Files.size(app.resolve("flanneld-kube.jsa")) > 0);

    for (String store : List.of("etcd", "kube")) {
      List<String> args = new java.util.ArrayList<>(List.of(opt.resolve("bin/flanneld").toString()));
      if (store.equals("kube")) {
        args.add("--kube-subnet-mgr");
      }
      args.add("--version");
      // -Xshare:on: the JVM refuses to start instead of silently ignoring an unusable archive.
      ProcessRun run = ProcessRun.run(opt,
          Map.of("JFLANNEL_JAVA_OPTS", "-Xshare:on -Xlog:class+load=info -Xlog:cds=info"), 120, args).requireSuccess();
      assertTrue(run.output().contains("flanneld-" + store + ".jsa"),
          store + ": the launcher did not map flanneld-" + store + ".jsa:\n" + run.output());
      List<String> ownClasses = run.output().lines().filter(l -> l.contains(" io.jflannel.")).toList();
      assertFalse(ownClasses.isEmpty(), "flanneld --version loaded no io.jflannel class:\n" + run.output());
      // JDK 17's dynamic archive skips some classes (lambda proxies, classes that failed an
      // archiving check); the archive must serve the entry point and the bulk of the rest.
      List<String> shared = ownClasses.stream()
          .filter(l -> l.contains("source: shared objects file (top)"))
          .toList();
      assertTrue(shared.stream().anyMatch(l -> l.contains(" io.jflannel.daemon.Flanneld ")),
          store + ": the main class was not served from the archive:\n" + String.join("\n", ownClasses));
      assertTrue(shared.size() * 5 >= ownClasses.size() * 4,
          store + ": fewer than 80% of the daemon's classes came from the archive:\n" + String.join("\n", ownClasses));
    }
  }

  private Path java() {
    return opt.resolve("jre/bin/java");
  }

  /** The daemon module's package output: jar, lib/ and launcher, as the Dockerfile copies them. */
  private static Path requireDaemonPackage() {
    Path target = RepoFiles.daemonTarget();
    boolean present = Files.isRegularFile(target.resolve("jflannel-daemon.jar"))
        && Files.isDirectory(target.resolve("lib"))
        && Files.isRegularFile(target.resolve("flanneld"));
    Prerequisites.require(present,
        "the packaged daemon (jflannel-daemon.jar, lib/, flanneld) in " + target + "; run `mvn -pl daemon -am package`");
    return target;
  }

  /** The jars under {@code dir}, its subdirectories included (lib/etcd/, lib/kube/). */
  private static List<String> jars(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(p -> p.toString().endsWith(".jar")).map(Path::toString).sorted().toList();
    }
  }

  private static Set<String> listedModules() throws IOException {
    return Files.readAllLines(RepoFiles.image("jre-modules")).stream()
        .map(l -> l.replaceAll("#.*", "").strip())
        .filter(l -> !l.isEmpty())
        .collect(Collectors.toCollection(TreeSet::new));
  }

  private Set<String> runtimeModules() throws Exception {
    ProcessRun run = ProcessRun.run(opt, Map.of(), 60, List.of(java().toString(), "--list-modules")).requireSuccess();
    // Lines look like "java.base@17.0.15".
    return run.output().lines().map(l -> l.split("@")[0].strip()).filter(l -> !l.isEmpty())
        .collect(Collectors.toCollection(TreeSet::new));
  }

  private static Set<String> difference(Set<String> a, Set<String> b) {
    Set<String> d = new TreeSet<>(a);
    d.removeAll(b);
    return d;
  }
}
