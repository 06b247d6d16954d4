package io.jflannel.subnet.kube;

import java.time.Duration;

/**
 * Decides, from the watchdog's periodic looks at the node watch, when the nodes must be listed
 * again after the watch was down (decisions 0700 and 0848). Every gap is listed after except a
 * server's routine end of a long-lived watch: the API server closes each watch after its
 * {@code timeoutSeconds} (fabric8 asks for 5 to 10 minutes) and fabric8 resumes it from the
 * last resource version within about a second, losing nothing. So a gap needs no list when the
 * watch had been up for at least {@code rolloverAge}, came back within {@code shortGap}, and
 * no list/watch failure was reported meanwhile. Used by one thread (the watchdog) plus
 * {@link #failed}, which any thread may call.
 */
final class WatchGap {
  private final long rolloverAgeNanos;
  private final long shortGapNanos;
  private boolean down;
  private boolean seenUp;
  private long upSince;
  private long downSince;
  private volatile boolean failed;

  WatchGap(Duration rolloverAge, Duration shortGap) {
    this.rolloverAgeNanos = rolloverAge.toNanos();
    this.shortGapNanos = shortGap.toNanos();
  }

  /** A list or watch failure was reported (fabric8's informer exception handler). */
  void failed() {
    failed = true;
  }

  /**
   * One look at the watch.
   *
   * @param watching whether the informer is watching now
   * @param now      {@code System.nanoTime()}
   * @return how long (ms) the watch was down, when it has just come back and the nodes must be
   *     listed again; -1 otherwise
   */
  long look(boolean watching, long now) {
    if (!watching) {
      if (!down) {
        down = true;
        downSince = now;
      }
      return -1;
    }
    if (!down) {
      if (!seenUp) {
        seenUp = true;
        upSince = now;
      }
      return -1;
    }
    down = false;
    long gap = now - downSince;
    boolean rollover = !failed && seenUp && downSince - upSince >= rolloverAgeNanos && gap < shortGapNanos;
    seenUp = true;
    upSince = now;
    if (rollover) {
      return -1;
    }
    failed = false;
    return gap / 1_000_000;
  }

  /** Whether the last look saw the watch down. */
  boolean isDown() {
    return down;
  }
}
