package io.jflannel.backend;

import java.time.Duration;

/**
 * The delays between retries of a failing pass: the first, then twice as long each time up
 * to a cap (1 s doubling to 60 s by default), back to the first after {@link #reset}.
 * Not thread-safe; the network's pass lock guards it.
 */
final class Backoff {
  static final Duration FIRST = Duration.ofSeconds(1);
  static final Duration MAX = Duration.ofSeconds(60);

  private final long firstMillis;
  private final long maxMillis;
  private int attempts;

  Backoff() {
    this(FIRST, MAX);
  }

  Backoff(Duration first, Duration max) {
    if (first.isNegative() || first.isZero() || max.compareTo(first) < 0) {
      throw new IllegalArgumentException("backoff from " + first + " to " + max);
    }
    this.firstMillis = first.toMillis();
    this.maxMillis = max.toMillis();
  }

  /** The delay before the next retry; each call doubles the one after. */
  Duration next() {
    long d = firstMillis;
    for (int i = 0; i < attempts && d < maxMillis; i++) {
      d *= 2;
    }
    attempts++;
    return Duration.ofMillis(Math.min(d, maxMillis));
  }

  /** Starts again from the first delay (after a success, or when something else fails). */
  void reset() {
    attempts = 0;
  }
}
