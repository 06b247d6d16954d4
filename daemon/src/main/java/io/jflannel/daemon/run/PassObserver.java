package io.jflannel.daemon.run;

/**
 * Told around every peer pass, on the pass thread: where runtime tuning (heap compaction after
 * a burst) hooks in without touching the peer path.
 */
public interface PassObserver {
  /** A pass is about to run. */
  default void passStarted() {}

  /** The pass ended (normally or not); {@code peers} is the size of the peer set. */
  default void passFinished(int peers) {}

  /** An observer made of two hooks. */
  static PassObserver of(Runnable started, java.util.function.IntConsumer finished) {
    return new PassObserver() {
      @Override
      public void passStarted() {
        started.run();
      }

      @Override
      public void passFinished(int peers) {
        finished.accept(peers);
      }
    };
  }
}
