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
 * (the complete peer snapshot), and again whenever the heap has grown while the peers have
 * been quiet for a while; otherwise it only delegates.
 *
 * <p>Why: the start-up burst (store listing, JSON, the first kernel dump and batches) and any
 * later update storm leave garbage promoted into the old generation, and the serial collector
 * gives committed heap back only at a full collection, which otherwise comes only with more
 * allocation. Collecting at those moments lets the heap shrink to the peer set the daemon
 * really keeps (docs/decisions/0830 and 0832).
 *
 * <p>Garbage does not only come with passes: store events that change no peer (a watch
 * replaying what the daemon already has, renewals of other nodes, status-only Node updates)
 * are parsed and dropped, and what of them the young generation promotes stays too. So from
 * the first pass on, the heap is looked at every {@code quiet}; the first look collects in any
 * case, because what the start-up still held during the first pass (the store's listing, the
 * first pass's plans and batches) is only garbage once it is over (decision 0851).
 *
 * <p>Bounded: after the first pass and the settling look, a collection needs {@code quiet}
 * without a pass and a committed heap at least {@link #GROWTH_BYTES} above what the previous
 * collection left; the look itself reads one number.
 */
final class CompactingNetwork implements Network {
  /**
   * Heap growth since the last collection that is worth giving back: 1 MiB, below what an
   * update storm can leave in the old generation, so a storm's garbage does not stay for good
   * (docs/footprint.md).
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
  private boolean settled;
  private int passesRunning;
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
    beforePass();
    try {
      delegate.reconcile(peers);
    } finally {
      afterPass(peers.size());
    }
  }

  @Override
  public void reconcile(Map<String, Lease> peersByKey) {
    beforePass();
    try {
      delegate.reconcile(peersByKey); // keeps the delegate's keyed fast path
    } finally {
      afterPass(peersByKey.size());
    }
  }

  private synchronized void beforePass() {
    passesRunning++;
  }

  private void afterPass(int peers) {
    boolean first;
    synchronized (this) {
      passesRunning--;
      lastPassNanos = clock.getAsLong();
      first = !firstDone;
      firstDone = true;
    }
    if (first) {
      compact("after the first peer pass (" + peers + " peers)");
      scheduler.schedule(this::checkQuiet, quietNanos);
    }
  }

  /** Runs every {@code quiet} from the first pass on (the one task this class schedules). */
  private void checkQuiet() {
    boolean grown;
    String when;
    synchronized (this) {
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

  @Override
  public void start() {
    delegate.start();
  }

  @Override
  public void close() {
    delegate.close();
  }
}
