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
import java.util.ArrayList;
import java.util.List;
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
  private final Consumer<String> onOwnStateFailed;
  private final ExecutorService passes = Executors.newSingleThreadExecutor(Threads.single("peer-sync"));
  private final AtomicBoolean dirty = new AtomicBoolean();
  private volatile PeerSet set;

  PeerSync(Network net, PassObserver observer, Consumer<Lease> onOwnLeaseLost, Consumer<String> onOwnStateFailed) {
    this.net = net;
    this.observer = observer;
    this.onOwnLeaseLost = onOwnLeaseLost;
    this.onOwnStateFailed = onOwnStateFailed;
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
    LOG.error("Lease has been revoked. Shutting down daemon.");
    LOG.info("own lease {} was deleted from the store; exiting", lease.key());
    onOwnLeaseLost.accept(lease);
  }

  @Override
  public void ownStateFailed(String reason) {
    onOwnStateFailed.accept(reason);
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
   * One line per peer change in upstream's words ({@code Subnet added: 10.244.2.0/24 via
   * 192.0.2.12}, {@code Subnet removed: 10.244.2.0/24}; a dual-stack peer gets a line per
   * family, as upstream prints them); a large drain (the first listing, a
   * re-list) gets one summary line instead and the per-peer lines go to debug: thousands of
   * lines on the console would slow a cold start down.
   */
  static void log(PeerChanges changes) {
    int n = changes.changed().size() + changes.removed().size();
    boolean each = n <= PEER_LOG_BATCH;
    if (each || LOG.isDebugEnabled()) {
      for (LeaseEvent ev : changes.events()) {
        for (String line : lines(ev)) {
          if (each) {
            LOG.info(line);
          } else {
            LOG.debug(line);
          }
        }
      }
    }
    if (!each) {
      LOG.info("{} peers added or changed, {} removed (per-peer lines at debug level)", changes.changed().size(),
          changes.removed().size());
    }
  }

  /** Upstream's line(s) for one change: one per address family the lease carries. */
  static List<String> lines(LeaseEvent ev) {
    Lease l = ev.lease();
    List<String> out = new ArrayList<>(2);
    boolean added = ev instanceof LeaseEvent.Added;
    if (l.subnet() != null) {
      out.add(added ? "Subnet added: " + l.subnet() + " via " + text(l.attrs().publicIp())
          : "Subnet removed: " + l.subnet());
    }
    if (l.ipv6Subnet() != null) {
      out.add(added ? "Subnet added: " + l.ipv6Subnet() + " via " + text(l.attrs().publicIpv6())
          : "Subnet removed: " + l.ipv6Subnet());
    }
    return out;
  }

  private static String text(InetAddress a) {
    return a == null ? "-" : IpLiteral.format(a);
  }

  @Override
  public void close() {
    passes.shutdownNow();
  }
}
