package io.jflannel.lab;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removes what a lab left behind: a kept lab ({@code lab down}) or a crashed one (before the
 * next run). Works from the state file and, as a safety net, from the namespace names: every
 * namespace starting with {@code <lab>-} is the lab's, and every process still inside one is
 * stopped before the namespace goes.
 */
public final class LabJanitor {
  private static final Logger LOG = LoggerFactory.getLogger(LabJanitor.class);
  /** Work directories carry this prefix; nothing else is ever deleted recursively. */
  public static final String WORK_DIR_PREFIX = "jflannel-lab-";

  private LabJanitor() {}

  /** Removes lab {@code lab}; returns one line per thing removed. */
  public static List<String> clean(Path stateDir, String lab) {
    List<String> done = new ArrayList<>();
    Path file = LabState.fileOf(stateDir, lab);
    Set<String> namespaces = new LinkedHashSet<>();
    String workDir = null;
    var snapshot = LabState.load(file);
    if (snapshot.isPresent()) {
      // Containers first: their daemons are the lab's, and podman removes them by ID only.
      List<String> containers = snapshot.get().containers() == null ? List.of() : snapshot.get().containers();
      for (String id : containers) {
        Exec.Result r = Podman.run(Duration.ofSeconds(60), "rm", "--force", "--ignore", "--time", "5", id);
        if (r.ok() && !r.stdout().isBlank()) {
          done.add("removed container " + id.substring(0, Math.min(12, id.length())));
        }
      }
      for (TrackedProcess p : snapshot.get().processes()) {
        if (p.alive()) {
          p.stop(Duration.ofSeconds(5));
          done.add("stopped " + p.what() + " (pid " + p.pid() + ")");
        }
      }
      namespaces.addAll(snapshot.get().namespaces());
      workDir = snapshot.get().workDir();
    }
    for (String ns : listNamespaces()) {
      if (ns.startsWith(lab + "-")) {
        namespaces.add(ns);
      }
    }
    // Pods and nodes before the switch, so no veth leg outlives its peer's namespace.
    List<String> ordered = new ArrayList<>(namespaces);
    ordered.sort(Comparator.comparingInt(String::length).reversed());
    for (String ns : ordered) {
      if (deleteNamespace(ns)) {
        done.add("deleted namespace " + ns);
      }
    }
    if (workDir != null && deleteWorkDir(Path.of(workDir))) {
      done.add("deleted " + workDir);
    }
    try {
      if (Files.deleteIfExists(file)) {
        done.add("deleted " + file);
      }
    } catch (IOException e) {
      throw new LabException("cannot delete " + file + ": " + e.getMessage(), e);
    }
    return done;
  }

  /**
   * Removes every lab whose name starts with {@code namePrefix} and whose owner process is
   * gone (a test JVM that died without its teardown).
   */
  public static List<String> cleanOrphans(Path stateDir, String namePrefix) {
    List<String> done = new ArrayList<>();
    if (!Files.isDirectory(stateDir)) {
      return done;
    }
    try (Stream<Path> files = Files.list(stateDir)) {
      for (Path f : files.toList()) {
        String fn = f.getFileName().toString();
        if (!fn.startsWith(namePrefix) || !fn.endsWith(".json")) {
          continue;
        }
        var snap = LabState.load(f);
        if (snap.isPresent() && ProcessHandle.of(snap.get().ownerPid())
            .map(ProcessHandle::isAlive).orElse(false)) {
          continue;
        }
        done.addAll(clean(stateDir, fn.substring(0, fn.length() - ".json".length())));
      }
    } catch (IOException e) {
      throw new LabException("cannot list " + stateDir + ": " + e.getMessage(), e);
    }
    return done;
  }

  /** The names of all network namespaces ({@code ip netns list}). */
  public static List<String> listNamespaces() {
    List<String> names = new ArrayList<>();
    for (String line : Exec.check("ip", "netns", "list").stdout().split("\n")) {
      String name = line.strip().split("\\s+")[0];
      if (!name.isEmpty()) {
        names.add(name);
      }
    }
    return names;
  }

  /** Stops every process inside {@code ns}, then deletes it. False if it did not exist. */
  public static boolean deleteNamespace(String ns) {
    if (!listNamespaces().contains(ns)) {
      return false;
    }
    Exec.Result pids = Exec.run("ip", "netns", "pids", ns);
    if (pids.ok()) {
      for (String pid : pids.stdout().split("\\s+")) {
        if (!pid.isBlank()) {
          ProcessHandle.of(Long.parseLong(pid.strip())).ifPresent(h -> {
            LOG.info("stopping pid {} left in namespace {}", h.pid(), ns);
            new TrackedProcess(h.pid(), -1, "process in " + ns).stop(Duration.ofSeconds(3));
          });
        }
      }
    }
    Exec.check("ip", "netns", "del", ns);
    return true;
  }

  /** Deletes a lab work directory (only one whose name marks it as a lab's). */
  public static boolean deleteWorkDir(Path dir) {
    if (!Files.exists(dir)) {
      return false;
    }
    if (!dir.getFileName().toString().startsWith(WORK_DIR_PREFIX)) {
      LOG.warn("not deleting {}: not a lab work directory", dir);
      return false;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
      return true;
    } catch (IOException e) {
      throw new LabException("cannot delete " + dir + ": " + e.getMessage(), e);
    }
  }
}
