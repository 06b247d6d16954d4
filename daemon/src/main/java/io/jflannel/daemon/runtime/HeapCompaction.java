package io.jflannel.daemon.runtime;

import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * When the daemon gives memory back: a full collection, then a trim of the C heap, right after
 * the first peer pass (the complete snapshot) and again whenever the heap has grown while the
 * peers have been quiet for a while. The peer sync tells it about its passes through two hooks,
 * {@link #passStarted()} before each and {@link #passFinished(int)} after each (in a
 * {@code finally}); it knows nothing else about them.
 *
 * <p>Why: the start-up burst (store listing, JSON, the first kernel dump and batches) and any
 * later update storm leave garbage promoted into the old generation, and the serial collector
 * gives committed heap back only at a full collection, which otherwise comes only with more
 * allocation. Collecting at those moments lets the heap shrink to the peer set the daemon
 * really keeps (docs/decisions/0830, 0832); the C memory the collection frees goes back to the
 * kernel at once instead of at the JVM's next periodic trim (0854).
 *
 * <p>Garbage does not only come with passes: store events that change no peer (a watch
 * replaying what the daemon already has, renewals of other nodes, status-only Node updates)
 * are parsed and dropped, and what of them the young generation promotes stays too. So from
 * the first pass on, the heap is looked at every quiet period; the first look collects in any
 * case, because what the start-up still held during the first pass is only garbage once it is
 * over (decision 0851).
 *
 * <p>Bounded: after the first pass and the settling look, a collection needs a quiet period
 * without a pass and a committed heap at least {@link #GROWTH_BYTES} above what the previous
 * collection left; the look itself reads one number.
 */
public final class HeapCompaction implements AutoCloseable {
  /** Heap growth since the last collection that is worth giving back (decision 0837). */
  static final long GROWTH_BYTES = 1L << 20;

  /**
   * How long the peers must rest after a burst before the heap is compacted (decisions 0832
   * and 0837). A steady stream of changes keeps deferring it; the growth threshold bounds it.
   */
  static final Duration QUIET = Duration.ofSeconds(3);

  private static final Logger LOG = LoggerFactory.getLogger(HeapCompaction.class);

  /** Runs a task once after a delay (the daemon's timer thread in production). */
  interface Scheduler {
    void schedule(Runnable task, long delayNanos);
  }

  private final Runnable collect;
  private final LongSupplier committedHeap;
  private final LongSupplier clock;
  private final Scheduler scheduler;
  private final long quietNanos;

  private boolean firstDone;
  private boolean settled;
  private boolean closed;
  private int passesRunning;
  private long lastPassNanos;
  private long baseline;

  /**
   * The daemon's compaction: {@code System.gc()} and {@link NativeHeap#trim()}, looks at the
   * committed heap on {@code timers} every {@link #QUIET}. Nothing is scheduled before the
   * first pass has finished; a look that {@code timers} refuses (the daemon is stopping) is
   * dropped.
   */
  public HeapCompaction(ScheduledExecutorService timers) {
    this(HeapCompaction::collectAndTrim, Runtime.getRuntime()::totalMemory, System::nanoTime,
        (task, delayNanos) -> {
          try {
            timers.schedule(task, delayNanos, TimeUnit.NANOSECONDS);
          } catch (RejectedExecutionException e) {
            // stopping: nothing left to compact for
          }
        }, QUIET.toNanos());
  }

  /**
   * {@code collect} is the collection, {@code committedHeap} the heap size it may shrink,
   * {@code clock} a nanosecond clock, and {@code quietNanos} how long the peers must rest
   * after a burst.
   */
  HeapCompaction(Runnable collect, LongSupplier committedHeap, LongSupplier clock, Scheduler scheduler,
      long quietNanos) {
    this.collect = collect;
    this.committedHeap = committedHeap;
    this.clock = clock;
    this.scheduler = scheduler;
    this.quietNanos = quietNanos;
  }

  /**
   * A full collection, then a trim of the C heap: what the JVM freed there during the start-up
   * or a storm would otherwise stay resident until the launcher's periodic trim (decision 0854).
   */
  private static void collectAndTrim() {
    System.gc();
    NativeHeap.trim();
  }

  /** A peer pass begins: no look collects until it has finished, however long it takes. */
  public synchronized void passStarted() {
    passesRunning++;
  }

  /**
   * A peer pass ended (also when it failed). After the first one the heap is compacted at once
   * and the quiet-time looks begin.
   *
   * @param peers the size of the peer set the pass applied, for the log line
   */
  public void passFinished(int peers) {
    boolean first;
    synchronized (this) {
      passesRunning--;
      lastPassNanos = clock.getAsLong();
      first = !firstDone && !closed;
      firstDone = true;
    }
    if (first) {
      compact("after the first peer pass (" + peers + " peers)");
      scheduler.schedule(this::checkQuiet, quietNanos);
    }
  }

  /** Runs every quiet period from the first pass on (the one task this class schedules). */
  private void checkQuiet() {
    boolean grown;
    String when;
    synchronized (this) {
      if (closed) {
        return;
      }
      // A running pass has not rested at all, however long ago the last one ended (an update
      // storm's long pass on a slow node).
      long rested = passesRunning > 0 ? 0 : clock.getAsLong() - lastPassNanos;
      if (rested < quietNanos) {
        scheduler.schedule(this::checkQuiet, quietNanos - rested);
        return;
      }
      boolean settling = !settled;
      settled = true;
      grown = settling || committedHeap.getAsLong() >= baseline + GROWTH_BYTES;
      when = settling ? "once the start-up settled" : "after the heap grew while the peers were quiet";
    }
    try {
      if (grown) {
        compact(when);
      }
    } finally {
      scheduler.schedule(this::checkQuiet, quietNanos);
    }
  }

  private void compact(String when) {
    long before = committedHeap.getAsLong();
    long t0 = clock.getAsLong();
    collect.run();
    long after = committedHeap.getAsLong();
    synchronized (this) {
      baseline = after;
    }
    LOG.info("heap compacted {}: committed {} KiB -> {} KiB in {} ms",
        when, before / 1024, after / 1024, (clock.getAsLong() - t0) / 1_000_000);
  }

  /** No collection after this; a pending look ends without scheduling another. */
  @Override
  public synchronized void close() {
    closed = true;
  }
}
