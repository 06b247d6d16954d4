package io.jflannel.subnet;

import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The daemon's threads: every one is a daemon thread named {@code jfl-<role>} (pools:
 * {@code jfl-<role>-<n>}), so a thread dump tells at once which are ours; and the one way to
 * hand work to an executor that may be shutting down.
 */
public final class Threads {
  /** The prefix of every thread name jflannel gives. */
  public static final String PREFIX = "jfl-";

  private Threads() {
  }

  /** Daemon threads named {@code jfl-<role>-1}, {@code jfl-<role>-2}, ... */
  public static ThreadFactory factory(String role) {
    AtomicInteger n = new AtomicInteger();
    return r -> daemon(r, role + "-" + n.incrementAndGet());
  }

  /** Daemon threads all named {@code jfl-<role>} (for single-thread executors). */
  public static ThreadFactory single(String role) {
    return r -> daemon(r, role);
  }

  /** An unstarted daemon thread named {@code jfl-<role>}. */
  public static Thread daemon(Runnable r, String role) {
    Thread t = new Thread(r, PREFIX + role);
    t.setDaemon(true);
    return t;
  }

  /**
   * Runs {@code task} on {@code executor} unless it is shutting down.
   *
   * @return false when the executor refused it (the owner is stopping; nothing left to do)
   */
  public static boolean tryExecute(Executor executor, Runnable task) {
    try {
      executor.execute(task);
      return true;
    } catch (RejectedExecutionException e) {
      return false;
    }
  }

  /** Schedules {@code task} unless the scheduler is shutting down; null when it refused. */
  public static ScheduledFuture<?> trySchedule(ScheduledExecutorService scheduler, Runnable task, long delay,
      TimeUnit unit) {
    try {
      return scheduler.schedule(task, delay, unit);
    } catch (RejectedExecutionException e) {
      return null;
    }
  }
}
