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
 * One node's real flanneld, run with {@code ip netns exec <node> <flanneld> ...}; output goes
 * to the node's log file (appended across restarts).
 */
public final class FlanneldProcess {
  private final LabNode node;
  private final List<String> command;
  private final Map<String, String> env;
  private final LabState state;
  private Process child;
  private TrackedProcess tracked;

  FlanneldProcess(LabNode node, List<String> command, Map<String, String> env, LabState state) {
    this.node = node;
    this.command = List.copyOf(command);
    this.env = Map.copyOf(env);
    this.state = state;
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
      ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(node.daemonLog().toFile()));
      pb.environment().putAll(env);
      child = pb.start();
    } catch (IOException e) {
      throw new LabException("cannot start flanneld on " + node.name() + ": " + e.getMessage(), e);
    }
    tracked = TrackedProcess.of(child.toHandle(), "flanneld " + node.name());
    state.addProcess(tracked);
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
    if (kill) {
      tracked.kill();
    } else {
      tracked.stop(Duration.ofSeconds(20));
    }
    int code = waitExit();
    state.removeProcess(tracked);
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

  /** The daemon's PID, or -1. */
  public synchronized long pid() {
    return child == null ? -1 : child.pid();
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
