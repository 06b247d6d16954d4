package io.jflannel.subnet.etcd;

import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.common.exception.CompactedException;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import io.jflannel.subnet.Lease;
import io.jflannel.subnet.ListingHealth;
import io.jflannel.subnet.PeerListener;
import io.jflannel.subnet.PeerSet;
import io.jflannel.subnet.SubnetException;
import io.jflannel.subnet.SubnetManager;
import io.jflannel.subnet.Threads;
import io.jflannel.subnet.etcd.EtcdRegistry.Entry;
import io.jflannel.subnet.etcd.EtcdRegistry.Listing;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The peers of the etcd store: list the subnets prefix into the {@link PeerSet}, watch it from
 * the listed revision + 1 and apply each response; on any error or compaction, close the stream
 * and start over (a re-list, diffed by the set) with a bounded exponential backoff. Every step
 * runs on the registry's watch thread; a generation number discards callbacks of streams already
 * replaced.
 */
final class EtcdLeaseWatch implements SubnetManager.Watch {
  private static final Logger LOG = LoggerFactory.getLogger(EtcdLeaseWatch.class);
  private static final long BACKOFF_MIN_MS = 500;
  private static final long BACKOFF_MAX_MS = 30_000;

  private final EtcdRegistry registry;
  private final ScheduledExecutorService thread;
  private final PeerListener listener;
  private final Lease own;
  private final EtcdLeaseKey ownKey;
  private final PeerSet peers = new PeerSet();
  private final AtomicInteger generation = new AtomicInteger();
  private final long resyncMs;
  private final LongConsumer afterList;
  private final Runnable onClose;
  private final ListingHealth health;
  /** Judges versions of the own key; null without an own lease. */
  private final OwnKeyKeeper keeper;
  /** The listing the acquisition chose from: its unchanged entries are not parsed again. */
  private Listing reuse;
  private io.etcd.jetcd.Watch.Watcher stream;
  private boolean ownLost;
  private long backoffMs = BACKOFF_MIN_MS;
  private ScheduledFuture<?> next;
  private volatile boolean stopped;

  /**
   * @param own       this node's lease: filtered from the peers, its deletion reported; null for none
   * @param reuse     the listing the acquisition used (may be null)
   * @param resyncMs  how often the watch is rebuilt from a fresh listing even when it looks
   *                  healthy: a safety net against a stream that died silently (the listing is
   *                  diffed, so a healthy watch produces no changes)
   * @param afterList test seam: runs between the listing (given its revision) and the watch
   */
  EtcdLeaseWatch(EtcdRegistry registry, PeerListener listener, Lease own, Listing reuse, long resyncMs,
      LongConsumer afterList, Runnable onClose, ListingHealth health, OwnKeyKeeper keeper) {
    this.registry = registry;
    this.thread = registry.watchExecutor();
    this.listener = listener;
    this.own = own;
    this.ownKey = own == null ? null : new EtcdLeaseKey(own.subnet(), own.ipv6Subnet());
    this.reuse = reuse;
    this.resyncMs = resyncMs;
    this.afterList = afterList;
    this.onClose = onClose;
    this.health = health;
    this.keeper = keeper;
    peers.own(own == null ? null : own.key());
  }

  /** Starts on the watch thread. */
  void begin() throws SubnetException {
    if (!Threads.tryExecute(thread, this::start)) {
      throw new SubnetException("etcd subnet manager is closed");
    }
  }

  private void start() {
    if (stopped) {
      return;
    }
    int gen = generation.incrementAndGet();
    closeStream();
    Listing listing;
    try {
      listing = registry.list(reuse);
      reuse = null;
    } catch (SubnetException e) {
      // Not a routine retry: until a listing succeeds, peers written meanwhile are never seen
      // (etcd out of reach, or one value larger than the client's message limit fails every
      // listing), so it is an ERROR, counted and shown by /readyz (decision 0971).
      int inARow = health.failed(e.getMessage());
      long delay = backOff();
      LOG.error("{} ({} in a row); peers changed since the last good listing are not seen until one succeeds;"
          + " retrying in {} ms", e.getMessage(), inARow, delay);
      schedule(this::start, delay);
      return;
    }
    int ended = health.succeeded();
    if (ended > 0) {
      LOG.info("listing {} works again after {} failed attempts", registry.subnetsPrefix(), ended);
    }
    List<Lease> snapshot = new ArrayList<>(listing.entries().size());
    Entry ownEntry = null;
    for (Entry e : listing.entries()) {
      if (ownKey != null && ownKey.equals(e.subnets())) {
        ownEntry = e;
      }
      if (e.attrs() == null) {
        continue; // bad value, already logged
      }
      snapshot.add(new Lease(e.subnets().subnet(), e.subnets().ipv6Subnet(), e.attrs(), null));
    }
    if (peers.reset(snapshot)) { // the first listing always: it seeds the consumer
      notifyListener();
    }
    if (own != null && ownEntry == null) {
      ownLeaseLost("not found when listing");
    } else if (ownEntry != null) {
      judgeOwn(ownEntry);
    }
    afterList.accept(listing.revision());
    if (stopped || gen != generation.get()) {
      return;
    }
    schedule(this::start, resyncMs);
    try {
      stream = registry.watch(listing.revision() + 1,
          resp -> onThread(gen, () -> onResponse(resp)),
          err -> onThread(gen, () -> onStreamEnd(err)),
          () -> onThread(gen, () -> onStreamEnd(null)));
    } catch (RuntimeException e) {
      retryLater("starting the watch failed: " + e);
    }
  }

  private void onThread(int gen, Runnable r) {
    if (stopped || gen != generation.get()) {
      return;
    }
    Threads.tryExecute(thread, () -> {
      if (!stopped && gen == generation.get()) {
        r.run();
      }
    });
  }

  private void onResponse(WatchResponse resp) {
    LOG.debug("watch response with {} events", resp.getEvents().size());
    backoffMs = BACKOFF_MIN_MS; // the stream works again
    boolean changed = false;
    for (WatchEvent ev : resp.getEvents()) {
      KeyValue kv = ev.getKeyValue();
      boolean put = ev.getEventType() == WatchEvent.EventType.PUT;
      Entry e = registry.entry(kv, put, true);
      if (e == null) {
        continue;
      }
      EtcdLeaseKey k = e.subnets();
      if (put && k.equals(ownKey)) {
        judgeOwn(e); // never a peer; someone else's value on it is put back
      } else if (put && e.attrs() == null) {
        continue; // bad value, already logged: the peer keeps its last good lease
      } else if (put) {
        PeerSet.Outcome o = peers.put(new Lease(k.subnet(), k.ipv6Subnet(), e.attrs(), null));
        changed |= o == PeerSet.Outcome.ADDED || o == PeerSet.Outcome.CHANGED;
      } else if (k.equals(ownKey)) {
        ownLeaseLost("deleted from etcd");
      } else {
        changed |= peers.remove(k.toString());
      }
    }
    if (changed) {
      notifyListener();
    }
  }

  private void onStreamEnd(Throwable err) {
    LOG.debug("watch stream ended", err);
    if (err instanceof CompactedException c) {
      LOG.info("etcd compacted past our watch (revision {}); re-listing leases", c.getCompactedRevision());
      generation.incrementAndGet();
      closeStream();
      start();
      return;
    }
    retryLater(err == null ? "watch stream ended" : "watch failed: " + err.getMessage());
  }

  private void retryLater(String why) {
    long delay = backOff();
    LOG.warn("{}; retrying in {} ms", why, delay);
    schedule(this::start, delay);
  }

  /** Drops the current stream and returns the delay before the next attempt, doubling it. */
  private long backOff() {
    generation.incrementAndGet(); // ignore the rest of the old stream
    closeStream();
    long delay = backoffMs;
    backoffMs = Math.min(BACKOFF_MAX_MS, backoffMs * 2);
    return delay;
  }

  private void schedule(Runnable task, long delayMs) {
    if (stopped) {
      return;
    }
    if (next != null) {
      next.cancel(false);
    }
    next = Threads.trySchedule(thread, task, delayMs, TimeUnit.MILLISECONDS);
  }

  private void notifyListener() {
    try {
      listener.peersChanged(peers);
    } catch (RuntimeException e) {
      LOG.error("peer listener failed", e);
    }
  }

  private void judgeOwn(Entry e) {
    if (keeper == null || ownLost) {
      return;
    }
    switch (keeper.judge(e)) {
      case RECREATED -> ownLeaseLost("deleted and created again by another writer");
      case CONTESTED -> {
        ownLost = true;
        String why = keeper.contested(e);
        LOG.error("{}", why);
        try {
          listener.ownStateFailed(why);
        } catch (RuntimeException ex) {
          LOG.error("peer listener failed on a contested own lease", ex);
        }
      }
      default -> { }
    }
  }

  private void ownLeaseLost(String how) {
    if (ownLost) {
      return;
    }
    ownLost = true;
    LOG.warn("our lease {} was {}", own.key(), how);
    try {
      listener.ownLeaseLost(own);
    } catch (RuntimeException e) {
      LOG.error("peer listener failed on own lease loss", e);
    }
  }

  private void closeStream() {
    if (stream != null) {
      io.etcd.jetcd.Watch.Watcher s = stream;
      stream = null;
      try {
        s.close();
      } catch (RuntimeException e) {
        LOG.debug("closing watch stream", e);
      }
    }
  }

  @Override
  public void close() {
    stopped = true;
    generation.incrementAndGet();
    if (!Threads.tryExecute(thread, this::closeStream)) {
      closeStream();
    }
    onClose.run();
  }
}
