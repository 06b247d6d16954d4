package io.jflannel.subnet;

import java.util.Optional;

/**
 * Whether a store's view of the peers is current: a listing of the peers (an etcd re-list, a
 * Node list after the watch was lost) that fails leaves the view as it was, and peers added,
 * changed or deleted meanwhile are not seen until a listing succeeds. The store records each
 * outcome here; the daemon shows it in {@code /readyz} and {@code /metrics} (decision 0971).
 * Thread-safe.
 */
public final class ListingHealth {
  private long failures;
  private int streak;
  private String problem;

  /**
   * A listing failed.
   *
   * @param why what failed and why, for {@code /readyz} (one line)
   * @return how many listings have failed in a row, this one included
   */
  public synchronized int failed(String why) {
    failures++;
    streak++;
    problem = why;
    return streak;
  }

  /**
   * A listing succeeded.
   *
   * @return how many failures in a row this success ends (0 when the previous one succeeded)
   */
  public synchronized int succeeded() {
    int ended = streak;
    streak = 0;
    problem = null;
    return ended;
  }

  /** Failed listings since the store started. */
  public synchronized long failures() {
    return failures;
  }

  /** Why the view may be out of date; empty while the latest listing succeeded. */
  public synchronized Optional<String> problem() {
    return Optional.ofNullable(problem);
  }
}
