package io.jflannel.daemon.run;

import io.jflannel.backend.Network;
import io.jflannel.subnet.Lease;
import java.util.Collection;
import java.util.Map;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link Network} that runs a full garbage collection right after its first reconcile pass
 * (the complete peer snapshot), and again once the peers have been quiet for a while after a
 * burst of changes that grew the heap; otherwise it only delegates.
 *
 * <p>Why: the start-up burst (store listing, JSON, the first kernel dump and batches) and any
 * later update storm leave garbage promoted into the old generation, and the serial collector
 * gives committed heap back only at a full collection, which otherwise comes only with more
 * allocation. Collecting at those moments lets the heap shrink to the peer set the daemon
 * really keeps (docs/decisions/0830 and 0832).
 *
 * <p>Bounded: after the first pass, a collection needs a pass, then {@code quiet} without one,
 * and a committed heap at least {@link #GROWTH_BYTES} above what the previous collection left.
 */
final class CompactingNetwork implements Network {
  /**
   * Heap growth since the last collection that is worth giving back: 1 MiB (decision 0837;
   * 2 MiB before, which let a storm's 1.8 MiB stay).
   */
  static final long GROWTH_BYTES = 1L << 20;

  private static final Logger LOG = LoggerFactory.getLogger(CompactingNetwork.class);

  /** Runs a task once after a delay (a scheduled executor in production). */
  interface Scheduler {
    void schedule(Runnable task, long delayNanos);
  }

  private final Network delegate;
  private final Runnable collect;
  private final LongSupplier committedHeap;
  private final LongSupplier clock;
  private final Scheduler scheduler;
  private final long quietNanos;

  private boolean firstDone;
  private boolean checkPending;
  private long lastPassNanos;
  private long baseline;

  /**
   * Wraps {@code delegate}. {@code collect} is the collection (System::gc in production),
   * {@code committedHeap} the heap size it may shrink (Runtime::totalMemory), {@code clock}
   * a nanosecond clock, and {@code quietNanos} how long the peers must rest after a burst.
   */
  CompactingNetwork(Network delegate, Runnable collect, LongSupplier committedHeap, LongSupplier clock,
      Scheduler scheduler, long quietNanos) {
    this.delegate = delegate;
    this.collect = collect;
    this.committedHeap = committedHeap;
    this.clock = clock;
    this.scheduler = scheduler;
    this.quietNanos = quietNanos;
  }

  @Override
  public Lease lease() {
    return delegate.lease();
  }

  @Override
  public int mtu() {
    return delegate.mtu();
  }

  @Override
  public void reconcile(Collection<Lease> peers) {
    delegate.reconcile(peers);
    afterPass(peers.size());
  }

  @Override
  public void reconcile(Map<String, Lease> peersByKey) {
    delegate.reconcile(peersByKey); // keeps the delegate's keyed fast path
    afterPass(peersByKey.size());
  }

  private void afterPass(int peers) {
    boolean first;
    synchronized (this) {
      lastPassNanos = clock.getAsLong();
      first = !firstDone;
      firstDone = true;
      if (!first && !checkPending) {
        checkPending = true;
        scheduler.schedule(this::checkQuiet, quietNanos);
      }
    }
    if (first) {
      compact("after the first peer pass (" + peers + " peers)");
    }
  }

  private void checkQuiet() {
    synchronized (this) {
      long rested = clock.getAsLong() - lastPassNanos;
      if (rested < quietNanos) {
        scheduler.schedule(this::checkQuiet, quietNanos - rested);
        return;
      }
      checkPending = false;
      if (committedHeap.getAsLong() < baseline + GROWTH_BYTES) {
        return;
      }
    }
    compact("after a burst of peer changes");
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

  @Override
  public void start() {
    delegate.start();
  }

  @Override
  public void close() {
    delegate.close();
  }
}
