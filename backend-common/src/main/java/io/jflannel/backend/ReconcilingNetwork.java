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
 * schedules one at once. A slow periodic pass is the safety net. See docs/decisions/0401
 * and 0402.
 */
public final class ReconcilingNetwork implements Network {
  private static final Logger LOG = LoggerFactory.getLogger(ReconcilingNetwork.class);
  /** Coalesces bursts of notifications (a deleted device takes its routes, neighbours and FDB with it). */
  static final Duration DEFAULT_DEBOUNCE = Duration.ofMillis(3);
  static final Duration RETRY_DELAY = Duration.ofSeconds(1);

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

  private final AtomicBoolean passScheduled = new AtomicBoolean();
  private final AtomicBoolean retryScheduled = new AtomicBoolean();
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
    this(ctx, lease, mtu, validator, dataplane, DEFAULT_DEBOUNCE);
  }

  ReconcilingNetwork(BackendContext ctx, Lease lease, int mtu, PeerValidator validator, Dataplane dataplane,
                     Duration debounce) {
    this.netlink = ctx.netlink();
    this.listener = ctx.listener();
    this.resyncInterval = ctx.resyncInterval();
    this.lease = Objects.requireNonNull(lease, "lease");
    this.mtu = mtu;
    this.dataplane = Objects.requireNonNull(dataplane, "dataplane");
    this.debounce = debounce;
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
    if (e instanceof NetlinkEvent.Overrun) {
      schedule(ResyncKind.OVERRUN, Duration.ZERO);
    } else if (dataplane.deviceAffected(e)) {
      schedule(ResyncKind.DEVICE, debounce);
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
      case OVERRUN -> 4;
      case DEVICE -> 3;
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

  private void scheduleRetry() {
    if (closed || !retryScheduled.compareAndSet(false, true)) {
      return;
    }
    if (Threads.trySchedule(scheduler, () -> {
      retryScheduled.set(false);
      schedule(ResyncKind.RETRY, Duration.ZERO);
    }, RETRY_DELAY.toMillis(), TimeUnit.MILLISECONDS) == null) {
      retryScheduled.set(false); // closing
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
      boolean remapAll = !deviceFixes.isEmpty();
      // A recreated device has a new index: nothing cached describes the kernel any more.
      boolean incremental = trigger == null && !full && programmedClean && !remapAll;
      programmedClean = false; // until this pass ends cleanly
      Map<String, PeerObjects> before = new HashMap<>(); // what the last pass programmed for the remapped
      List<String> touched = remap(remapAll, before);
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
      // do not schedule a pass that would fail again at once; the slower retry takes it.
      PlanRunner.Outcome out = plan.isEmpty() ? null : PlanRunner.run(netlink, plan, failed -> {
        DesiredIndex d = desired;
        failed.forEach(k -> {
          PeerObjects p = want.get(k);
          if (p != null) {
            d.remove(p);
          }
        });
      });
      if (trigger != null) {
        listener.resync(trigger);
      }
      if (out == null || out.errors().isEmpty()) {
        programmedClean = true;
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
      out.failedPeers().forEach((peer, err) ->
          LOG.warn("peer {} not programmed, its earlier steps were undone: {}", peer, err.getMessage()));
      if (!out.staleErrors().isEmpty()) {
        LOG.warn("{} stale entries could not be deleted, first: {}", out.staleErrors().size(),
            out.staleErrors().get(0).getMessage());
      }
      String msg = String.format("%s pass: %d peers, %d objects set, %d stale deleted, %d failed peers, %d requests in %.1f ms",
          label(trigger), want.size(), out.addedTotal(), out.deletedTotal(), out.failedPeers().size(), out.requests(),
          took.toNanos() / 1e6);
      if (trigger != null && trigger != ResyncKind.RETRY || !deviceFixes.isEmpty()) {
        LOG.info("repaired kernel state: {}{}", msg, deviceFixes.isEmpty() ? "" : ", device fixes " + deviceFixes);
      } else if (out.deletedTotal() > 0 && !incremental) {
        // Found by a dump: at start-up, the entries of peers that disappeared while we were
        // down. (An incremental pass deletes only what changed peers left behind.)
        LOG.info("removed stale entries: {}", msg);
      } else {
        LOG.debug(msg);
      }
      if (!out.errors().isEmpty()) {
        scheduleRetry();
      }
    } catch (NetlinkException e) {
      LOG.warn("{} pass failed, retrying in {} s: {}", label(trigger), RETRY_DELAY.toSeconds(), e.getMessage());
      listener.netlinkError(e.errnoName());
      scheduleRetry();
    } catch (RuntimeException e) {
      LOG.error("{} pass failed unexpectedly, retrying in {} s", label(trigger), RETRY_DELAY.toSeconds(), e);
      scheduleRetry();
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
