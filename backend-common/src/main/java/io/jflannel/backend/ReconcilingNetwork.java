package io.jflannel.backend;

import io.jflannel.backend.BackendListener.ObjectKind;
import io.jflannel.backend.BackendListener.ResyncKind;
import io.jflannel.netlink.FdbEntry;
import io.jflannel.netlink.Group;
import io.jflannel.netlink.Neigh;
import io.jflannel.netlink.Netlink;
import io.jflannel.netlink.NetlinkEvent;
import io.jflannel.netlink.NetlinkException;
import io.jflannel.netlink.Route;
import io.jflannel.netlink.Subscription;
import io.jflannel.subnet.Lease;
import io.jflannel.subnet.PeerChanges;
import io.jflannel.subnet.Threads;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The generic {@link Network}: keeps the desired peers, and in every pass validates them,
 * maps them to kernel objects through a {@link Dataplane}, diffs against a dump of the owned
 * kernel objects and applies the difference in pipelined batches ({@link PlanRunner}).
 *
 * <p>Passes run under one lock: {@link #reconcile} runs one synchronously on the caller's
 * thread; repairs run on a single scheduler thread. Netlink notifications that show a
 * desired object deleted or altered (or a stray owned object added) schedule a pass after a
 * short debounce, so a burst of deletions costs one pass; an overrun or a broken device
 * schedules one at once, and so does the external interface coming back up or being created
 * again (the kernel drops routes through a downed interface without a notification per route).
 * A slow periodic pass is the safety net. See docs/decisions/0401 and 0402.
 *
 * <p>A peer the kernel refuses is undone, logged once when it starts failing and once when it
 * recovers, counted ({@link BackendListener#peersFailing}) and retried with a backoff of 1 s
 * doubling to 60 s; the other peers are programmed meanwhile (docs/decisions/0962). A pass that
 * fails as a whole is retried the same way and logged once per distinct error.
 */
public final class ReconcilingNetwork implements Network {
  private static final Logger LOG = LoggerFactory.getLogger(ReconcilingNetwork.class);
  /** Coalesces bursts of notifications (a deleted device takes its routes, neighbours and FDB with it). */
  static final Duration DEFAULT_DEBOUNCE = Duration.ofMillis(3);
  /** At most this many peers are named one by one per pass and kind of change; the rest in a sum. */
  static final int PEER_LINES = 10;

  private final Netlink netlink;
  private final Lease lease;
  private final int mtu;
  private final Dataplane dataplane;
  private final BackendListener listener;
  private final Duration resyncInterval;
  private final Duration debounce;
  private final ScheduledExecutorService scheduler;

  private final Object passLock = new Object();
  // Everything below up to `closed` is guarded by passLock.
  /** The validator's running verdict: a reconcile re-judges only the leases that changed. */
  private final PeerBook book;
  /** The objects of every accepted peer, as of the last pass (mapped once per lease). */
  private final Map<String, PeerObjects> want = new LinkedHashMap<>();
  /** Keys whose verdict or lease changed since their objects in {@link #want} were mapped. */
  private final Set<String> unmapped = new HashSet<>();
  /**
   * The desired objects by slot, read by the notification thread to judge events. A reconcile
   * updates it in place (only the changed peers); a full pass builds a new one.
   */
  private volatile DesiredIndex desired = new DesiredIndex();
  /**
   * Whether the last pass finished without errors, leaving in the kernel exactly what
   * {@link #want} holds (a pass changes {@code want} only in {@link #remap}, before it
   * programs). A reconcile (the desired peers changed) then diffs the peers it remaps against
   * their objects of that pass instead of dumping: between two passes the kernel can only
   * drift through changes the notifications report, and those schedule a dumping repair pass.
   * A flag rather than a copy of {@code want}: the copy would be equal to it (decision 0855).
   */
  private boolean programmedClean;
  private volatile boolean closed;
  /**
   * Whether the desired peers are known. Until the first {@link #reconcile}, repair passes do
   * nothing: an empty desired set would delete every peer left programmed by the previous run.
   */
  private boolean seeded;
  /** Peers the kernel refused, for logging each change once (guarded by passLock). */
  private final FailingPeers failing = new FailingPeers();
  /** Delays of the retries after failed passes (guarded by passLock). */
  private final Backoff backoff;
  /** The pending retry and when it is due (guarded by passLock). */
  private ScheduledFuture<?> retry;
  private long retryDueNanos;
  /** The error of the last pass that failed as a whole, null after a pass that ran (guarded by passLock). */
  private String passError;
  private int passErrors;
  /** The first error of the last pass's failed stale deletes, null when there was none (guarded by passLock). */
  private String staleError;

  private final AtomicBoolean passScheduled = new AtomicBoolean();
  private final AtomicReference<ResyncKind> pendingKind = new AtomicReference<>();
  private volatile Subscription subscription;

  /**
   * @param ctx       the backend context (netlink handle, listener, resync interval)
   * @param lease     this node's lease
   * @param mtu       the pod MTU
   * @param validator the peer rules (Network, own subnet, backend type, backend check)
   * @param dataplane the backend's mapping and ownership rules
   */
  public ReconcilingNetwork(BackendContext ctx, Lease lease, int mtu, PeerValidator validator, Dataplane dataplane) {
    this(ctx, lease, mtu, validator, dataplane, DEFAULT_DEBOUNCE, new Backoff());
  }

  ReconcilingNetwork(BackendContext ctx, Lease lease, int mtu, PeerValidator validator, Dataplane dataplane,
                     Duration debounce) {
    this(ctx, lease, mtu, validator, dataplane, debounce, new Backoff());
  }

  ReconcilingNetwork(BackendContext ctx, Lease lease, int mtu, PeerValidator validator, Dataplane dataplane,
                     Duration debounce, Backoff backoff) {
    this.netlink = ctx.netlink();
    this.listener = ctx.listener();
    this.resyncInterval = ctx.resyncInterval();
    this.lease = Objects.requireNonNull(lease, "lease");
    this.mtu = mtu;
    this.dataplane = Objects.requireNonNull(dataplane, "dataplane");
    this.debounce = debounce;
    this.backoff = Objects.requireNonNull(backoff, "backoff");
    this.book = new PeerBook(validator); // null-checked there
    this.scheduler = Executors.newSingleThreadScheduledExecutor(
        Threads.single(dataplane.backendType() + "-reconciler"));
  }

  @Override
  public Lease lease() {
    return lease;
  }

  @Override
  public int mtu() {
    return mtu;
  }

  @Override
  public void reconcile(PeerChanges changes) {
    synchronized (passLock) {
      if (closed) {
        // A watcher that has not stopped yet must not change a dataplane we handed over.
        LOG.debug("ignoring a reconcile of {} changes after close", changes.changed().size() + changes.removed().size());
        return;
      }
      Set<String> changed = book.update(changes);
      unmapped.addAll(changed);
      boolean full = changes.full() || !seeded;
      seeded = true;
      book.newlyRejected().forEach(this::reportRejection);
      if (full || !changed.isEmpty() || !programmedClean) {
        pass(null, full);
      }
    }
  }

  @Override
  public void start() {
    if (closed) {
      throw new IllegalStateException("network is closed");
    }
    subscribe();
    long period = resyncInterval.toMillis();
    scheduler.scheduleWithFixedDelay(() -> {
      Subscription sub = subscription;
      if (sub == null || !sub.isOpen()) {
        subscribe(); // the notification socket died or never opened: try again, the pass below covers the gap
      }
      schedule(ResyncKind.PERIODIC, Duration.ZERO);
    }, period, period, TimeUnit.MILLISECONDS);
  }

  private void subscribe() {
    if (closed) {
      return;
    }
    try {
      subscription = netlink.subscribe(
          EnumSet.of(Group.LINK, Group.NEIGH, Group.IPV4_ROUTE, Group.IPV4_IFADDR), this::onEvent);
      if (closed) {
        subscription.close();
      }
    } catch (NetlinkException e) {
      // Repair then relies on the periodic resync alone; say so loudly.
      LOG.warn("cannot subscribe to netlink notifications ({}); lost entries are only restored by the {} s resync",
          e.getMessage(), resyncInterval.toSeconds());
      listener.netlinkError(e.errnoName());
    }
  }

  @Override
  public void close() {
    closed = true;
    Subscription s = subscription;
    if (s != null) {
      s.close();
    }
    scheduler.shutdownNow();
    try {
      scheduler.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Keys of the peers programmed by the last pass (tests and diagnostics). */
  public Set<String> acceptedPeers() {
    synchronized (passLock) {
      return Set.copyOf(want.keySet());
    }
  }

  /** Accepted peers the kernel refused in the last pass that looked at them, with the error. */
  public Map<String, String> failingPeers() {
    synchronized (passLock) {
      Map<String, String> out = new LinkedHashMap<>();
      failing.snapshot().forEach((k, f) -> out.put(k, f.error()));
      return out;
    }
  }

  /** Peers refused so far, with the reason. */
  public Map<String, Rejection> rejectedPeers() {
    synchronized (passLock) {
      return Map.copyOf(book.rejected());
    }
  }

  /** Runs a full pass now on the caller's thread, as the periodic resync would. */
  public void resyncNow() {
    synchronized (passLock) {
      if (seeded) {
        pass(ResyncKind.PERIODIC, false);
      }
    }
  }

  // ---- notifications -------------------------------------------------------------------

  void onEvent(NetlinkEvent e) {
    if (closed) {
      return;
    }
    boolean underlay = dataplane.underlayAffected(e); // every event: it follows the link state
    if (e instanceof NetlinkEvent.Overrun) {
      schedule(ResyncKind.OVERRUN, Duration.ZERO);
    } else if (dataplane.deviceAffected(e)) {
      schedule(ResyncKind.DEVICE, debounce);
    } else if (underlay) {
      schedule(ResyncKind.LINK, debounce);
    } else if (concernsDesired(e)) {
      schedule(ResyncKind.EVENT, debounce);
    }
  }

  /**
   * True when the event shows a desired object removed or altered, or an owned object added
   * that nobody wants. Our own writes match the desired state, so they never trigger a pass.
   */
  boolean concernsDesired(NetlinkEvent e) {
    DesiredIndex d = desired;
    if (e instanceof NetlinkEvent.RouteDeleted x) {
      return d.route(x.route()) != null;
    }
    if (e instanceof NetlinkEvent.RouteAdded x) {
      Route want = d.route(x.route());
      return want != null ? !ObjectKeys.same(want, x.route()) : dataplane.owns(x.route());
    }
    if (e instanceof NetlinkEvent.NeighDeleted x) {
      return d.neigh(x.neigh()) != null;
    }
    if (e instanceof NetlinkEvent.NeighAdded x) {
      Neigh want = d.neigh(x.neigh());
      return want != null ? !ObjectKeys.same(want, x.neigh()) : dataplane.owns(x.neigh());
    }
    if (e instanceof NetlinkEvent.FdbDeleted x) {
      return d.fdb(x.entry()) != null;
    }
    if (e instanceof NetlinkEvent.FdbAdded x) {
      FdbEntry want = d.fdb(x.entry());
      return want != null ? !ObjectKeys.same(want, x.entry()) : dataplane.owns(x.entry());
    }
    return false;
  }

  private void schedule(ResyncKind kind, Duration delay) {
    if (closed) {
      return;
    }
    pendingKind.accumulateAndGet(kind, (a, b) -> a == null || severity(b) > severity(a) ? b : a);
    if (passScheduled.compareAndSet(false, true)
        && Threads.trySchedule(scheduler, this::scheduledPass, delay.toNanos(), TimeUnit.NANOSECONDS) == null) {
      passScheduled.set(false); // closing
    }
  }

  /** Which reason names a coalesced pass: the most severe one that asked for it. */
  private static int severity(ResyncKind k) {
    return switch (k) {
      case OVERRUN -> 5;
      case DEVICE -> 4;
      case LINK -> 3;
      case EVENT -> 2;
      case RETRY -> 1;
      case PERIODIC -> 0;
    };
  }

  private void scheduledPass() {
    passScheduled.set(false);
    ResyncKind kind = pendingKind.getAndSet(null);
    synchronized (passLock) {
      if (!closed && seeded) {
        pass(kind == null ? ResyncKind.EVENT : kind, false);
      }
    }
  }

  /**
   * Schedules a retry pass after {@code delay}, unless one is due sooner. Caller holds passLock.
   */
  private void scheduleRetry(Duration delay) {
    if (closed) {
      return;
    }
    long due = System.nanoTime() + delay.toNanos();
    if (retry != null && !retry.isDone()) {
      if (retryDueNanos - due <= 0) {
        return;
      }
      retry.cancel(false);
    }
    retry = Threads.trySchedule(scheduler, () -> schedule(ResyncKind.RETRY, Duration.ZERO),
        delay.toMillis(), TimeUnit.MILLISECONDS);
    retryDueNanos = due;
  }

  /** After a pass that left nothing to retry. Caller holds passLock. */
  private void cancelRetry() {
    backoff.reset();
    if (retry != null) {
      retry.cancel(false);
      retry = null;
    }
  }

  // ---- the pass ------------------------------------------------------------------------

  /**
   * One pass; {@code trigger} is null when the desired peers changed, {@code full} when they
   * came from a full drain (every object compared with a kernel dump). Caller holds passLock.
   */
  private void pass(ResyncKind trigger, boolean full) {
    long t0 = System.nanoTime();
    try {
      Set<ObjectKind> deviceFixes = dataplane.prepare();
      for (ObjectKind k : deviceFixes) {
        listener.repaired(k, 1);
      }
      boolean rejudged = dataplane.peerFactsChanged();
      if (rejudged) {
        // The external interface's index or addresses changed: every verdict and mapping may.
        Set<String> wasRejected = new HashSet<>(book.rejected().keySet());
        Set<String> dirty = book.rejudge();
        unmapped.addAll(dirty);
        book.newlyRejected().forEach(this::reportRejection);
        dirty.stream().filter(k -> wasRejected.contains(k) && book.accepted().containsKey(k)).sorted()
            .forEach(k -> LOG.info("accepting peer {}, refused before: the external interface changed", k));
      }
      boolean remapAll = !deviceFixes.isEmpty() || rejudged;
      // A recreated device has a new index: nothing cached describes the kernel any more.
      boolean incremental = trigger == null && !full && programmedClean && !remapAll;
      programmedClean = false; // until this pass ends cleanly
      Map<String, PeerObjects> before = new HashMap<>(); // what the last pass programmed for the remapped
      List<String> touched = remap(remapAll, before);
      if (!touched.isEmpty()) {
        dataplane.acceptedPeersChanged(book.accepted());
      }
      if (!incremental) {
        DesiredIndex fresh = new DesiredIndex();
        want.values().forEach(fresh::add);
        desired = fresh;
      }
      ReconcilePlan plan = incremental ? planChanges(touched, before)
          : ReconcilePlanner.plan(want, dataplane.dumpOwned());
      if (LOG.isTraceEnabled() && !plan.isEmpty()) {
        LOG.trace("plan: {}", plan);
      }
      // A failed peer leaves the desired index before its undo, so the undo's notifications
      // do not schedule a pass that would fail again at once; the backed-off retry takes it.
      PlanRunner.Outcome out = plan.isEmpty() ? null : PlanRunner.run(netlink, plan, failedKeys -> {
        DesiredIndex d = desired;
        failedKeys.forEach(k -> {
          PeerObjects p = want.get(k);
          if (p != null) {
            d.remove(p);
          }
        });
      });
      if (trigger != null) {
        listener.resync(trigger);
      }
      passSucceeded(trigger);
      // Only a pass that compared every peer with the kernel can tell that a failing one is fine now.
      FailingPeers.Changes failures = failing.record(out == null ? Map.of() : out.failedPeers(),
          k -> !incremental, want::containsKey);
      reportFailures(failures);
      listener.peersFailing(failing.size());
      if (out == null || out.errors().isEmpty()) {
        programmedClean = true;
        cancelRetry();
      } else {
        if (!failures.started().isEmpty()) {
          backoff.reset(); // a peer failed anew: retry soon, then less often
        }
        scheduleRetry(backoff.next());
      }
      if (out == null) {
        listener.peersProgrammed(want.size());
        if (!deviceFixes.isEmpty()) {
          LOG.info("repaired {} ({} pass)", deviceFixes, label(trigger));
        }
        return;
      }
      Duration took = Duration.ofNanos(System.nanoTime() - t0);
      listener.programmingLatency(took, out.requests());
      listener.peersProgrammed(want.size() - out.failedPeers().size());
      out.added().forEach((k, n) -> {
        if (trigger != null) {
          listener.repaired(k, n);
        }
      });
      out.deleted().forEach(listener::staleRemoved);
      for (NetlinkException err : out.errors()) {
        listener.netlinkError(err.errnoName());
      }
      String stale = out.staleErrors().isEmpty() ? null : out.staleErrors().get(0).getMessage();
      if (stale != null && !stale.equals(staleError)) {
        LOG.warn("{} stale entries could not be deleted (retrying with backoff), first: {}", out.staleErrors().size(),
            stale);
      } else if (stale != null) {
        LOG.debug("{} stale entries could not be deleted again, first: {}", out.staleErrors().size(), stale);
      }
      staleError = stale;
      String msg = String.format("%s pass: %d peers, %d objects set, %d stale deleted, %d failed peers, %d requests in %.1f ms",
          label(trigger), want.size(), out.addedTotal(), out.deletedTotal(), out.failedPeers().size(), out.requests(),
          took.toNanos() / 1e6);
      boolean wrote = out.addedTotal() + out.deletedTotal() > 0;
      if (trigger != null && trigger != ResyncKind.RETRY && wrote || !deviceFixes.isEmpty()) {
        LOG.info("repaired kernel state: {}{}", msg, deviceFixes.isEmpty() ? "" : ", device fixes " + deviceFixes);
      } else if (out.deletedTotal() > 0 && !incremental) {
        // Found by a dump: at start-up, the entries of peers that disappeared while we were
        // down. (An incremental pass deletes only what changed peers left behind.)
        LOG.info("removed stale entries: {}", msg);
      } else {
        LOG.debug(msg);
      }
    } catch (NetlinkException e) {
      listener.netlinkError(e.errnoName());
      passFailed(trigger, e.getMessage(), null);
    } catch (RuntimeException e) {
      passFailed(trigger, e.toString(), e);
    }
  }

  /**
   * A pass failed as a whole (the device could not be made, a dump failed): logged at WARN when
   * the error is new, else at debug, and retried with backoff. Caller holds passLock.
   */
  private void passFailed(ResyncKind trigger, String error, RuntimeException unexpected) {
    passErrors++;
    boolean fresh = !error.equals(passError);
    if (fresh) {
      backoff.reset();
    }
    passError = error;
    Duration delay = backoff.next();
    if (unexpected != null && fresh) {
      LOG.error("{} pass failed unexpectedly, retrying in {} s and then less often", label(trigger),
          delay.toSeconds(), unexpected);
    } else if (fresh) {
      LOG.warn("{} pass failed, retrying in {} s and then less often: {}", label(trigger), delay.toSeconds(), error);
    } else {
      LOG.debug("{} pass failed again ({} in a row), retrying in {} ms: {}", label(trigger), passErrors,
          delay.toMillis(), error);
    }
    scheduleRetry(delay);
  }

  /** A pass got through to the kernel after passes that had failed as a whole. Caller holds passLock. */
  private void passSucceeded(ResyncKind trigger) {
    if (passError != null) {
      LOG.info("{} pass succeeded after {} failed attempts (the last: {})", label(trigger), passErrors, passError);
      passError = null;
      passErrors = 0;
      backoff.reset();
    }
  }

  /** One WARN per peer that starts failing, one INFO per peer that recovers; beyond a few, a sum. */
  private void reportFailures(FailingPeers.Changes c) {
    int n = 0;
    for (Map.Entry<String, String> e : c.started().entrySet()) {
      if (n++ < PEER_LINES) {
        LOG.warn("peer {} not programmed, its earlier steps were undone; retrying with backoff: {}",
            e.getKey(), e.getValue());
      } else {
        LOG.debug("peer {} not programmed: {}", e.getKey(), e.getValue());
      }
    }
    if (n > PEER_LINES) {
      LOG.warn("... and {} more peers not programmed (each at debug); {} peers failing in all", n - PEER_LINES,
          failing.size());
    }
    n = 0;
    for (Map.Entry<String, Integer> e : c.recovered().entrySet()) {
      if (n++ < PEER_LINES) {
        LOG.info("peer {} programmed after {} failed attempts", e.getKey(), e.getValue());
      } else {
        LOG.debug("peer {} programmed after {} failed attempts", e.getKey(), e.getValue());
      }
    }
    if (n > PEER_LINES) {
      LOG.info("... and {} more peers programmed again (each at debug); {} peers failing", n - PEER_LINES,
          failing.size());
    }
  }

  private static String label(ResyncKind trigger) {
    return trigger == null ? "reconcile" : trigger.name().toLowerCase(java.util.Locale.ROOT);
  }

  private void reportRejection(String key, Lease l) {
    Rejection r = book.rejected().get(key);
    String ip = l == null || l.attrs().publicIp() == null ? "?" : l.attrs().publicIp().getHostAddress();
    LOG.warn("rejecting peer {} (public IP {}): {}: {}", key, ip, r.reason().label(), r.detail());
    listener.peerRejected(key, r.reason());
  }

  /**
   * Brings {@link #want} and the desired index up to date with the book: maps the peers whose
   * verdict or lease changed (or every accepted peer, after the device was recreated).
   *
   * @param before receives the objects each remapped key had before (for a reconcile after a
   *               clean pass: what that pass programmed for it)
   * @return the keys whose objects may differ from what the last clean pass programmed
   */
  private List<String> remap(boolean all, Map<String, PeerObjects> before) {
    if (all) {
      want.clear();
      unmapped.addAll(book.accepted().keySet());
    }
    List<String> keys = new ArrayList<>(unmapped);
    keys.sort(null);
    DesiredIndex d = desired;
    for (String k : keys) {
      PeerObjects old = want.remove(k);
      if (old != null) {
        d.remove(old); // all removals first: a new holder may reuse a released key
        before.put(k, old);
      }
    }
    for (String k : keys) {
      Lease peer = book.accepted().get(k);
      if (peer != null) {
        PeerObjects objects = dataplane.map(peer);
        want.put(k, objects);
        d.add(objects);
      }
    }
    unmapped.clear();
    return keys;
  }

  /**
   * Plans only the peers touched since the last clean pass, against what that pass left for
   * them. Object keys never collide between accepted peers (the validator's exclusive
   * claims), so the untouched peers need no look.
   */
  private ReconcilePlan planChanges(List<String> touched, Map<String, PeerObjects> programmed) {
    Map<String, PeerObjects> changed = new LinkedHashMap<>();
    Map<String, PeerObjects> stale = new HashMap<>();
    for (String key : touched) {
      PeerObjects now = want.get(key);
      PeerObjects then = programmed.get(key);
      if (now != null && now.equals(then)) {
        continue;
      }
      if (now != null) {
        changed.put(key, now);
      }
      if (then != null) {
        stale.put(key, then);
      }
    }
    return ReconcilePlanner.plan(changed, owned(stale));
  }

  /** The objects a clean pass left behind, in the shape of a dump. */
  private static OwnedObjects owned(Map<String, PeerObjects> programmed) {
    List<Route> routes = new ArrayList<>(programmed.size());
    List<Neigh> neighs = new ArrayList<>(programmed.size());
    List<FdbEntry> fdb = new ArrayList<>(programmed.size());
    for (PeerObjects p : programmed.values()) {
      routes.addAll(p.routes());
      neighs.addAll(p.neighs());
      fdb.addAll(p.fdb());
    }
    return new OwnedObjects(routes, neighs, fdb);
  }

}
