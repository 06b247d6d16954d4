package io.jflannel.daemon.run;

import io.jflannel.backend.Network;
import io.jflannel.subnet.IpLiteral;

import io.jflannel.subnet.Lease;
import io.jflannel.subnet.LeaseEvent;
import io.jflannel.subnet.PeerChanges;
import io.jflannel.subnet.PeerListener;
import io.jflannel.subnet.PeerSet;
import io.jflannel.subnet.Threads;
import java.net.InetAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves peers from the store's {@link PeerSet} to the {@link Network}: the store's thread only
 * marks the set dirty; passes run on this class's own thread, one at a time, each draining
 * whatever changed since the previous one. A burst of N changes therefore costs a few passes
 * instead of N, and no backlog piles up while a pass runs (docs/decisions/0802).
 */
final class PeerSync implements PeerListener, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PeerSync.class);
  /** Peer changes drained together beyond this many are logged as one summary line. */
  static final int PEER_LOG_BATCH = 32;

  private final Network net;
  private final PassObserver observer;
  private final Consumer<Lease> onOwnLeaseLost;
  private final ExecutorService passes = Executors.newSingleThreadExecutor(Threads.single("peer-sync"));
  private final AtomicBoolean dirty = new AtomicBoolean();
  private volatile PeerSet set;

  PeerSync(Network net, PassObserver observer, Consumer<Lease> onOwnLeaseLost) {
    this.net = net;
    this.observer = observer;
    this.onOwnLeaseLost = onOwnLeaseLost;
  }

  @Override
  public void peersChanged(PeerSet peers) {
    set = peers;
    if (!dirty.getAndSet(true)) {
      Threads.tryExecute(passes, this::sync);
    }
  }

  @Override
  public void ownLeaseLost(Lease lease) {
    LOG.info("own lease {} was deleted from the store; exiting", lease.key());
    onOwnLeaseLost.accept(lease);
  }

  private void sync() {
    if (!dirty.getAndSet(false)) {
      return;
    }
    PeerChanges changes = set.drain();
    if (changes.isEmpty() && !changes.full()) {
      return;
    }
    log(changes);
    observer.passStarted();
    try {
      net.reconcile(changes);
    } finally {
      observer.passFinished(changes.size());
    }
  }

  /**
   * One line per peer change, as upstream logs them; a large drain (the first listing, a
   * re-list) gets one summary line instead and the per-peer lines go to debug: thousands of
   * lines on the console would slow a cold start down.
   */
  static void log(PeerChanges changes) {
    int n = changes.changed().size() + changes.removed().size();
    boolean each = n <= PEER_LOG_BATCH;
    if (each || LOG.isDebugEnabled()) {
      for (LeaseEvent ev : changes.events()) {
        String line = String.format("peer %s %s (public ip %s)", ev instanceof LeaseEvent.Added ? "added" : "removed",
            ev.lease().key(), text(ev.lease().attrs().publicIp() != null
                ? ev.lease().attrs().publicIp() : ev.lease().attrs().publicIpv6()));
        if (each) {
          LOG.info(line);
        } else {
          LOG.debug(line);
        }
      }
    }
    if (!each) {
      LOG.info("{} peers added or changed, {} removed (per-peer lines at debug level)", changes.changed().size(),
          changes.removed().size());
    }
  }

  private static String text(InetAddress a) {
    return a == null ? "-" : IpLiteral.format(a);
  }

  @Override
  public void close() {
    passes.shutdownNow();
  }
}
