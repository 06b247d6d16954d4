package io.jflannel.lab;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One node's real flanneld, run with {@code ip netns exec <node> <flanneld> ...}, or from the
 * image as a container ({@code podman run --cidfile ...}, which stays attached: the container's
 * output is the process's output); output goes to the node's log file (appended across
 * restarts). A container is stopped and killed through podman by its ID, and its PID is the
 * daemon's own (the JVM's, in the host's PID namespace).
 */
public final class FlanneldProcess {
  private static final Duration PODMAN = Duration.ofSeconds(60);
  private final LabNode node;
  private final List<String> command;
  private final Map<String, String> env;
  private final LabState state;
  private final Path cidFile;
  private Process child;
  private TrackedProcess tracked;
  private String containerId;
  private long containerPid = -1;

  FlanneldProcess(LabNode node, List<String> command, Map<String, String> env, LabState state) {
    this(node, command, env, state, null);
  }

  /**
   * @param cidFile where {@code command} (a {@code podman run --cidfile cidFile ...}) writes its
   *     container's ID, or null for a daemon run directly
   */
  FlanneldProcess(LabNode node, List<String> command, Map<String, String> env, LabState state,
      Path cidFile) {
    this.node = node;
    this.command = List.copyOf(command);
    this.env = Map.copyOf(env);
    this.state = state;
    this.cidFile = cidFile;
  }

  /** The full command line (for messages and docs). */
  public List<String> command() {
    return command;
  }

  /** Starts the daemon; fails if it is already running. */
  public synchronized void start() {
    if (running()) {
      throw new LabException("flanneld on " + node.name() + " is already running");
    }
    try {
      Files.writeString(node.daemonLog(), "=== lab: starting " + String.join(" ", command) + "\n",
          java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
      if (cidFile != null) {
        Files.deleteIfExists(cidFile);
      }
      ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(node.daemonLog().toFile()));
      pb.environment().putAll(env);
      child = pb.start();
    } catch (IOException e) {
      throw new LabException("cannot start flanneld on " + node.name() + ": " + e.getMessage(), e);
    }
    tracked = TrackedProcess.of(child.toHandle(), cidFile == null ? "flanneld " + node.name()
        : "podman run of flanneld " + node.name());
    state.addProcess(tracked);
    if (cidFile != null) {
      containerId = awaitContainerId();
      containerPid = -1;
      state.addContainer(containerId);
    }
  }

  /** The ID podman writes to the cidfile once the container is created. */
  private String awaitContainerId() {
    long deadline = System.nanoTime() + PODMAN.toNanos();
    while (true) {
      try {
        String id = Files.exists(cidFile) ? Files.readString(cidFile).strip() : "";
        if (!id.isEmpty()) {
          return id;
        }
      } catch (IOException e) {
        // Being written; read again.
      }
      if (!child.isAlive() || System.nanoTime() > deadline) {
        throw new LabException("podman did not create the flanneld container on " + node.name()
            + (child.isAlive() ? " within " + PODMAN.toSeconds() + " s" : " (exit " + child.exitValue() + ")")
            + "\n" + logTail(30));
      }
      EtcdStore.sleep(50);
    }
  }

  /** The container's ID while it runs from the image, else empty. */
  public synchronized java.util.Optional<String> containerId() {
    return java.util.Optional.ofNullable(containerId);
  }

  /** SIGTERM, then SIGKILL after 20 s; returns the exit code (or -1 if it was not running). */
  public synchronized int stop() {
    return halt(false);
  }

  /** SIGKILL, as a crash or an OOM kill would do. */
  public synchronized int kill() {
    return halt(true);
  }

  private int halt(boolean kill) {
    if (child == null) {
      return -1;
    }
    if (containerId != null) {
      // The attached podman forwards SIGTERM but not SIGKILL: signal the container itself.
      if (child.isAlive()) {
        Exec.Result r = kill ? Podman.run(PODMAN, "kill", "--signal", "KILL", containerId)
            : Podman.run(PODMAN, "stop", "--time", "20", containerId);
        if (!r.ok() && child.isAlive()) {
          tracked.kill();
        }
      }
    } else if (kill) {
      tracked.kill();
    } else {
      tracked.stop(Duration.ofSeconds(20));
    }
    int code = waitExit();
    state.removeProcess(tracked);
    if (containerId != null) {
      // --rm removes it when it exits; a leftover (podman killed first) goes here.
      Podman.run(PODMAN, "rm", "--force", "--ignore", containerId);
      state.removeContainer(containerId);
      containerId = null;
      containerPid = -1;
    }
    child = null;
    tracked = null;
    return code;
  }

  private int waitExit() {
    try {
      return child.waitFor();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new LabException("interrupted while stopping flanneld on " + node.name(), e);
    }
  }

  /** Whether the daemon process is alive. */
  public synchronized boolean running() {
    return child != null && child.isAlive();
  }

  /** The daemon's PID (from the image: the container's main process, the JVM), or -1. */
  public synchronized long pid() {
    if (child == null) {
      return -1;
    }
    if (containerId == null) {
      return child.pid();
    }
    if (containerPid <= 0 && child.isAlive()) {
      Exec.Result r = Podman.run(PODMAN, "inspect", "--format", "{{.State.Pid}}", containerId);
      if (r.ok() && r.stdout().strip().matches("[0-9]+")) {
        containerPid = Long.parseLong(r.stdout().strip());
      }
    }
    return containerPid > 0 ? containerPid : -1;
  }

  /**
   * Waits until the node's subnet.env exists and differs from {@code before} (a file
   * identity and modification time from {@link #subnetFileVersion}, null when there was no
   * file), i.e. until this daemon run has written it.
   */
  public SubnetEnv awaitSubnetFile(Object before, Duration limit) {
    long deadline = System.nanoTime() + limit.toNanos();
    while (true) {
      Object now = subnetFileVersion(node.subnetFile());
      if (now != null && !Objects.equals(now, before)) {
        try {
          return SubnetEnv.read(node.subnetFile());
        } catch (LabException e) {
          // Caught mid-write by a non-atomic writer; try again.
          if (System.nanoTime() > deadline) {
            throw e;
          }
        }
      }
      synchronized (this) {
        if (child != null && !child.isAlive()) {
          throw new LabException("flanneld on " + node.name() + " exited with "
              + child.exitValue() + " before writing " + node.subnetFile() + "\n" + logTail(30));
        }
      }
      if (System.nanoTime() > deadline) {
        throw new LabException("flanneld on " + node.name() + " did not write "
            + node.subnetFile() + " within " + limit.toSeconds() + " s\n" + logTail(30));
      }
      EtcdStore.sleep(100);
    }
  }

  /** Identity plus modification time of a file, or null when it does not exist. */
  public static Object subnetFileVersion(Path file) {
    try {
      BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
      return List.of(String.valueOf(a.fileKey()), a.lastModifiedTime().toString());
    } catch (IOException e) {
      return null;
    }
  }

  /** The last {@code lines} lines of the daemon's log. */
  public String logTail(int lines) {
    try {
      List<String> all = Files.readAllLines(node.daemonLog());
      List<String> tail = new ArrayList<>(all.subList(Math.max(0, all.size() - lines), all.size()));
      return "--- last lines of " + node.daemonLog() + ":\n" + String.join("\n", tail);
    } catch (IOException e) {
      return "(no log at " + node.daemonLog() + ")";
    }
  }
}
