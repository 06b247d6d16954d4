package io.jflannel.daemon.run;

import io.jflannel.backend.Network;
import io.jflannel.subnet.Lease;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link Network} that runs one full garbage collection right after its first reconcile pass
 * (the complete peer snapshot), then only delegates.
 *
 * <p>Why: the start-up burst (store listing, JSON, the first kernel dump and batches) leaves
 * its garbage in the old generation, and the serial collector gives committed heap back only
 * at a full collection. One collection at that moment lets the heap shrink to the peer set it
 * really keeps (docs/decisions/0830). Later passes never trigger a collection.
 */
final class CompactAfterFirstPass implements Network {
  private static final Logger LOG = LoggerFactory.getLogger(CompactAfterFirstPass.class);

  private final Network delegate;
  private final Runnable collect;
  private final AtomicBoolean done = new AtomicBoolean();

  /** Wraps {@code delegate}; {@code collect} is the collection to run once (System::gc in production). */
  CompactAfterFirstPass(Network delegate, Runnable collect) {
    this.delegate = delegate;
    this.collect = collect;
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
    if (!done.getAndSet(true)) {
      Runtime rt = Runtime.getRuntime();
      long before = rt.totalMemory();
      long t0 = System.nanoTime();
      collect.run();
      LOG.info("heap compacted after the first peer pass ({} peers): committed {} KiB -> {} KiB in {} ms",
          peers, before / 1024, rt.totalMemory() / 1024, (System.nanoTime() - t0) / 1_000_000);
    }
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
