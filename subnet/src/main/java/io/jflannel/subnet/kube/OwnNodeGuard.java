package io.jflannel.subnet.kube;

import io.jflannel.subnet.NetworkConfig;
import io.jflannel.subnet.PeerListener;
import io.jflannel.subnet.RestoreBudget;
import io.jflannel.subnet.SubnetException;
import io.jflannel.subnet.Threads;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches this node's own Node after the lease was taken (decision 0976): peers read our
 * subnet, VTEP MAC and public IP from it, so it must stay what we published.
 *
 * <ul>
 *   <li>our flannel annotations changed or removed by another writer (a foreign MAC in
 *       backend-data, another public-ip): WARN and patch them back through the status
 *       subresource, as {@code acquireLease} writes them; past the {@link RestoreBudget} the
 *       writer is a second node configured as this one, and the daemon stops;
 *   <li>the Node deleted: noted; once the kubelet registers it again (without our annotations),
 *       they are written again and NetworkUnavailable=False set again;
 *   <li>its pod CIDR no longer our subnet (the Node was re-created and got another one): the
 *       daemon exits 1 naming both, so the DaemonSet starts it again on the new subnet.
 * </ul>
 *
 * <p>Notices come from the node event loop with the store's view of the Node; a view that looks
 * wrong is confirmed by reading the Node from the API server first (the store may lag behind our
 * own patch). The work runs on its own thread, never on the event loop's.
 */
final class OwnNodeGuard implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(OwnNodeGuard.class);
  private static final long RETRY_SECONDS = 10;

  /** The API calls the guard needs, from the manager. */
  interface Api {
    /** The own Node now; empty when it does not exist. */
    Optional<NodeView> read() throws SubnetException;

    /** Merge-patches these annotations through the status subresource. */
    void patch(Map<String, String> annotations) throws SubnetException;

    /** Sets NetworkUnavailable=False again. */
    void markNetworkReady() throws SubnetException;
  }

  private final String name;
  private final AnnotationKeys keys;
  private final NetworkConfig config;
  private final OwnNode.Subnets subnets;
  private final Map<String, String> desired;
  private final Api api;
  private final RestoreBudget budget;
  private final ScheduledExecutorService worker = Executors.newSingleThreadScheduledExecutor(
      Threads.single("kube-own-node"));
  // Only on the worker thread:
  private boolean deleted;
  private boolean waitingForCidr;
  private boolean failed;

  /**
   * @param subnets our subnets as acquired
   * @param desired every annotation we publish, with its value
   */
  OwnNodeGuard(String name, AnnotationKeys keys, NetworkConfig config, OwnNode.Subnets subnets,
      Map<String, String> desired, Api api, RestoreBudget budget) {
    this.name = name;
    this.keys = keys;
    this.config = config;
    this.subnets = subnets;
    this.desired = Map.copyOf(desired);
    this.api = api;
    this.budget = budget;
  }

  /**
   * The store's view of our Node changed ({@code view} null: it is gone). Called on the event
   * loop's thread; returns at once.
   */
  void check(NodeView view, PeerListener listener) {
    Threads.tryExecute(worker, () -> judge(view, listener));
  }

  private boolean looksRight(NodeView v) {
    if (v == null) {
      return false;
    }
    OwnNode own = new OwnNode(v, keys);
    try {
      return own.subnets(config).equals(subnets) && own.missingOrDifferent(desired).isEmpty();
    } catch (SubnetException e) {
      return false;
    }
  }

  private void judge(NodeView storeView, PeerListener listener) {
    if (failed || looksRight(storeView)) {
      return;
    }
    Optional<NodeView> now;
    try {
      now = api.read();
    } catch (SubnetException e) {
      LOG.warn("reading our Node \"{}\" to check it: {}; trying again in {} s", name, e.getMessage(), RETRY_SECONDS);
      retry(listener);
      return;
    }
    if (now.isEmpty()) {
      if (!deleted) {
        deleted = true;
        LOG.warn("our Node \"{}\" was deleted; its flannel annotations are written again once it is registered"
            + " again", name);
      }
      return;
    }
    NodeView v = now.get();
    OwnNode own = new OwnNode(v, keys);
    if (!own.hasPodCidrs(config)) {
      if (!waitingForCidr) {
        waitingForCidr = true;
        LOG.info("our Node \"{}\" has no pod cidr (registered again?); waiting for one", name);
      }
      return;
    }
    waitingForCidr = false;
    OwnNode.Subnets theirs;
    try {
      theirs = own.subnets(config);
    } catch (SubnetException e) {
      fail(listener, "our Node's pod cidr changed and is not usable any more: " + e.getMessage());
      return;
    }
    if (!theirs.equals(subnets)) {
      fail(listener, "pod cidr of node \"" + name + "\" changed from " + text(subnets) + " to " + text(theirs)
          + " (the Node was re-created?); exiting so that flanneld starts again on the new subnet");
      return;
    }
    Map<String, String> diff = own.missingOrDifferent(desired);
    if (diff.isEmpty()) {
      return;
    }
    boolean reRegistered = deleted || diff.size() == desired.size();
    if (reRegistered) {
      LOG.info("our Node \"{}\" was registered again without its flannel annotations; writing them", name);
    } else if (!budget.take(System.nanoTime())) {
      fail(listener, "the flannel annotations of node \"" + name + "\" keep being overwritten by another writer "
          + diff.keySet() + ": more than " + budget.max() + " times in " + budget.window().toMinutes()
          + " minutes; stopping instead of fighting over them (is another flanneld running with this node's name?)");
      return;
    } else {
      LOG.warn("flannel annotations {} of our Node \"{}\" were changed or removed by another writer: an attack"
          + " or a misconfiguration; restoring them", diff.keySet(), name);
    }
    try {
      api.patch(diff);
      deleted = false;
      if (reRegistered) {
        api.markNetworkReady();
      }
    } catch (SubnetException e) {
      LOG.error("restoring the flannel annotations of our Node \"{}\" failed: {}; trying again in {} s", name,
          e.getMessage(), RETRY_SECONDS);
      retry(listener);
    }
  }

  private void retry(PeerListener listener) {
    Threads.trySchedule(worker, () -> judge(null, listener), RETRY_SECONDS, TimeUnit.SECONDS);
  }

  private void fail(PeerListener listener, String reason) {
    failed = true;
    LOG.error("{}", reason);
    if (listener == null) {
      return;
    }
    try {
      listener.ownStateFailed(reason);
    } catch (RuntimeException e) {
      LOG.error("peer listener failed on an own-state failure", e);
    }
  }

  private static String text(OwnNode.Subnets s) {
    if (s.ipv4() != null && s.ipv6() != null) {
      return s.ipv4() + " and " + s.ipv6();
    }
    return String.valueOf(s.ipv4() != null ? s.ipv4() : s.ipv6());
  }

  @Override
  public void close() {
    worker.shutdownNow();
  }
}
