package io.jflannel.subnet;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * How often this node puts back its own published state (its etcd lease value, its Node's
 * annotations) after another writer changed it. A stray write is restored; a writer that keeps
 * changing it (a second node configured as this one) would make the two fight for ever, so past
 * the budget the daemon stops with a clear line instead (decision 0973). Thread-safe.
 */
public final class RestoreBudget {
  /** Restorations allowed per {@link #DEFAULT_WINDOW}. */
  public static final int DEFAULT_MAX = 3;
  public static final Duration DEFAULT_WINDOW = Duration.ofMinutes(10);

  private final int max;
  private final long windowNanos;
  private final Deque<Long> spent = new ArrayDeque<>();

  public RestoreBudget() {
    this(DEFAULT_MAX, DEFAULT_WINDOW);
  }

  public RestoreBudget(int max, Duration window) {
    this.max = max;
    this.windowNanos = window.toNanos();
  }

  /** Takes one restoration at {@code nowNanos} ({@link System#nanoTime()}); false when none is left. */
  public synchronized boolean take(long nowNanos) {
    while (!spent.isEmpty() && nowNanos - spent.peekFirst() >= windowNanos) {
      spent.removeFirst();
    }
    if (spent.size() >= max) {
      return false;
    }
    spent.addLast(nowNanos);
    return true;
  }

  /** Restorations allowed within {@link #window()}. */
  public int max() {
    return max;
  }

  public Duration window() {
    return Duration.ofNanos(windowNanos);
  }
}
