package io.jflannel.lab;

import com.fasterxml.jackson.annotation.JsonIgnore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A process the lab started, identified by PID and start time so that a recycled PID is
 * never signalled by mistake when a later run cleans up after a crashed one.
 *
 * @param pid process id
 * @param startMillis start time (epoch millis, as the kernel reports it), or -1 if unknown
 * @param what what it is, for messages ("flanneld n2", "etcd")
 */
public record TrackedProcess(long pid, long startMillis, String what) {

  /** Tracks a process the lab just started. */
  public static TrackedProcess of(ProcessHandle handle, String what) {
    return new TrackedProcess(handle.pid(), startOf(handle), what);
  }

  /** The live process, if it still runs and is the one that was tracked. */
  @JsonIgnore
  public Optional<ProcessHandle> handle() {
    return ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
        .filter(h -> startMillis < 0 || startOf(h) == startMillis);
  }

  /** Whether the tracked process still runs. */
  @JsonIgnore
  public boolean alive() {
    return handle().isPresent();
  }

  /**
   * Stops the process and its descendants: SIGTERM, then SIGKILL after {@code grace}.
   * Returns true when it had to use SIGKILL.
   */
  public boolean stop(Duration grace) {
    Optional<ProcessHandle> h = handle();
    if (h.isEmpty()) {
      return false;
    }
    List<ProcessHandle> tree = tree(h.get());
    tree.forEach(ProcessHandle::destroy);
    if (awaitExit(tree, grace)) {
      return false;
    }
    tree.forEach(ProcessHandle::destroyForcibly);
    awaitExit(tree, Duration.ofSeconds(10));
    return true;
  }

  /** Sends SIGKILL to the process and its descendants and waits until they are gone. */
  public void kill() {
    handle().ifPresent(h -> {
      List<ProcessHandle> tree = tree(h);
      tree.forEach(ProcessHandle::destroyForcibly);
      awaitExit(tree, Duration.ofSeconds(10));
    });
  }

  private static List<ProcessHandle> tree(ProcessHandle root) {
    List<ProcessHandle> all = new ArrayList<>();
    all.add(root);
    root.descendants().forEach(all::add);
    return all;
  }

  private static boolean awaitExit(List<ProcessHandle> tree, Duration limit) {
    long deadline = System.nanoTime() + limit.toNanos();
    for (ProcessHandle p : tree) {
      long left = deadline - System.nanoTime();
      try {
        if (left <= 0) {
          return !tree.stream().anyMatch(ProcessHandle::isAlive);
        }
        p.onExit().get(left, TimeUnit.NANOSECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        return false;
      } catch (java.util.concurrent.ExecutionException e) {
        // onExit never fails; treat as still running
        return false;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return true;
  }

  private static long startOf(ProcessHandle h) {
    return h.info().startInstant().map(java.time.Instant::toEpochMilli).orElse(-1L);
  }
}
