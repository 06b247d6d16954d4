package io.jflannel.subnet.kube;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.jflannel.subnet.ListingHealth;
import io.jflannel.subnet.SubnetException;
import io.jflannel.subnet.Threads;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Node informer of the kube store: one shared informer over every Node, writing into the
 * {@link SlimNodeStore} and handing "node N changed" notices to the {@link NodeEventLoop}; its
 * first list (started early, awaited by the first watch), the watchdog that lists again after a
 * watch outage, and the retry policy for list and watch failures.
 */
final class NodeInformer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(NodeInformer.class);
  /** How often the watchdog checks whether the node watch is connected. */
  private static final Duration WATCHDOG = Duration.ofSeconds(1);
  /**
   * A watch that lived this long and was back within {@link #ROLLOVER_GAP} was ended by the
   * server's timeout (fabric8 asks for 5 to 10 minutes): resumed, not listed (decision 0848).
   */
  private static final Duration ROLLOVER_AGE = Duration.ofMinutes(4);
  private static final Duration ROLLOVER_GAP = Duration.ofSeconds(5);

  private final KubernetesClient client;
  private final String nodeName;
  private final KubeOptions options;
  private final SlimNodeStore store;
  private final PeerTracker tracker;
  private final Object lock = new Object();
  private final WatchGap watchGap = new WatchGap(ROLLOVER_AGE, ROLLOVER_GAP);
  private final ListingHealth health;
  /**
   * A node watch down this long makes the view count as out of date (decision 0971): fabric8
   * keeps reconnecting a watch the API server refuses (RBAC revoked: 403) without ever telling
   * the informer. Tests shorten it.
   */
  volatile Duration watchDownLimit = Duration.ofSeconds(60);
  private long downSince = -1;      // watchdog thread only
  private boolean downReported;     // watchdog thread only

  private SharedIndexInformer<Node> informer; // guarded by lock
  private NodeEventLoop loop;                 // guarded by lock
  /** The informer's first list, started by {@link #launch()}; guarded by lock. */
  private CompletableFuture<Void> firstList;
  /** Whether a watch has waited for {@link #firstList} (or given up on it); guarded by lock. */
  private boolean listAwaited;
  private boolean closed;                     // guarded by lock
  private ScheduledExecutorService watchdog;  // guarded by lock

  NodeInformer(KubernetesClient client, String nodeName, KubeOptions options, SlimNodeStore store,
      PeerTracker tracker, ListingHealth health) {
    this.health = health;
    this.client = client;
    this.nodeName = nodeName;
    this.options = options;
    this.store = store;
    this.tracker = tracker;
  }

  /**
   * Creates the node informer and starts its first list without waiting for it (once; later
   * calls return the same loop). Events before a subscriber are only stored: the subscriber
   * gets every peer from the store when it subscribes.
   */
  NodeEventLoop launch() throws SubnetException {
    SharedIndexInformer<Node> inf;
    NodeEventLoop l;
    synchronized (lock) {
      if (closed) {
        throw new SubnetException("subnet manager is closed");
      }
      if (loop != null) {
        return loop;
      }
      l = new NodeEventLoop(options.eventQueueDepth(), store, tracker);
      inf = newInformer(l);
      informer = inf;
      loop = l;
      LOG.info("Starting kube subnet manager");
      firstList = inf.start().toCompletableFuture();
    }
    return l;
  }

  /** Starts the informer if needed and waits for its first full list. */
  NodeEventLoop awaitFirstList() throws SubnetException {
    NodeEventLoop l = launch();
    CompletableFuture<Void> list;
    synchronized (lock) {
      if (listAwaited) {
        return l;
      }
      list = firstList;
    }
    LOG.info("waiting up to {} for the node informer's first list", options.cacheSyncTimeout());
    try {
      list.get(options.cacheSyncTimeout().toMillis(), TimeUnit.MILLISECONDS);
      LOG.info("Node controller sync successful");
      LOG.info("node informer synced: {} nodes", store.size());
      awaited();
    } catch (TimeoutException e) {
      if (!options.continueWhenCacheNotReady()) {
        throw new SubnetException("the node informer did not finish its first list within "
            + options.cacheSyncTimeout() + " (CONT_WHEN_CACHE_NOT_READY=true continues anyway)", e);
      }
      LOG.warn("node informer not synced after {}; continuing (CONT_WHEN_CACHE_NOT_READY)",
          options.cacheSyncTimeout());
      health.failed("the node informer has not finished its first list (CONT_WHEN_CACHE_NOT_READY)");
      awaited();
    } catch (ExecutionException e) {
      throw new SubnetException("starting the node informer: " + e.getCause().getMessage(),
          e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SubnetException("interrupted while starting the node informer", e);
    }
    return l;
  }

  private void awaited() {
    synchronized (lock) {
      listAwaited = true;
    }
    startWatchdog();
  }

  private SharedIndexInformer<Node> newInformer(NodeEventLoop l) {
    // withLimit pages the initial list, so a big cluster is not one huge response.
    SharedIndexInformer<Node> inf = client.nodes().withLimit(500L).runnableInformer(0);
    inf.itemStore(store);
    inf.removeNamespaceIndex();
    inf.addEventHandler(new Handler(l));
    inf.exceptionHandler(this::retryInformer);
    return inf;
  }

  /**
   * After a lost connection fabric8 resumes the watch from the last resource version and never
   * lists again. Some servers (the fabric8 mock, an API server whose watch cache moved on
   * without answering 410) do not replay what happened meanwhile, so a node deleted during an
   * outage would stay programmed for ever. So we list again: once the watch is back after a
   * gap, the informer is replaced by a new one on the same store, whose first list adds,
   * updates and deletes what changed (decision 0700). A watch the server simply ended (its
   * timeout, every 5 to 10 minutes) and fabric8 resumed at once is not listed after, as
   * client-go does not either ({@link WatchGap}, decision 0848).
   */
  private void startWatchdog() {
    synchronized (lock) {
      if (closed || watchdog != null) {
        return;
      }
      watchdog = Executors.newSingleThreadScheduledExecutor(Threads.single("kube-watchdog"));
      long ms = WATCHDOG.toMillis();
      watchdog.scheduleWithFixedDelay(this::checkWatch, ms, ms, TimeUnit.MILLISECONDS);
    }
  }

  private void checkWatch() {
    SharedIndexInformer<Node> current;
    synchronized (lock) {
      current = informer;
    }
    if (current == null) {
      return;
    }
    boolean watching = current.isWatching();
    long now = System.nanoTime();
    if (watching) {
      downSince = -1;
      downReported = false;
    } else if (downSince < 0) {
      downSince = now;
    } else if (!downReported && now - downSince >= watchDownLimit.toNanos()) {
      downReported = true;
      int n = health.failed("the node watch has been down for more than " + watchDownLimit.toSeconds() + " s");
      LOG.error("the node watch has been down for more than {} s ({} in a row); changes to Nodes are not seen until"
          + " it is back", watchDownLimit.toSeconds(), n);
    }
    if (watching && health.problem().isPresent()) {
      // The informer watches only after a list succeeded: the view is current again.
      int ended = health.succeeded();
      LOG.info("listing nodes works again after {} failed attempts", ended);
    }
    boolean wasDown = watchGap.isDown();
    long downMs = watchGap.look(watching, now);
    if (watchGap.isDown() && !wasDown) {
      LOG.debug("node watch is down; fabric8 reconnects with backoff");
    } else if (downMs >= 0) {
      LOG.info("node watch reconnected after {} ms down; listing nodes again to catch up with"
          + " changes made while it was down", downMs);
      relist();
    } else if (wasDown && !watchGap.isDown()) {
      LOG.debug("node watch resumed (the server ended it); no list needed");
    }
  }

  private void relist() {
    SharedIndexInformer<Node> old;
    SharedIndexInformer<Node> fresh;
    NodeEventLoop l;
    synchronized (lock) {
      if (closed || loop == null) {
        return;
      }
      l = loop;
      old = informer;
      fresh = newInformer(loop);
      informer = fresh;
    }
    old.stop();
    openSmallConnection();
    try {
      fresh.start().toCompletableFuture()
          .get(options.cacheSyncTimeout().toMillis(), TimeUnit.MILLISECONDS);
      // One line per lost watch (checkWatch's); this one only at debug (decision 0974).
      LOG.debug("node list after reconnect: {} nodes", store.size());
      int ended = health.succeeded();
      if (ended > 0) {
        LOG.info("listing nodes works again after {} failed attempts", ended);
      }
      l.relisted(); // the list's own notices came one by one: now one full look
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      // The new informer keeps retrying by itself (its failures are reported by retryInformer);
      // the watchdog sees it when it is back.
      synchronized (lock) {
        if (closed) {
          return; // stopped by close(), not a failure
        }
      }
      Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
      int n = health.failed("listing nodes after the watch was lost failed: " + oneLine(cause));
      LOG.error("listing nodes after the watch was lost failed ({} in a row): {}; changes to Nodes are not seen"
          + " until a list succeeds", n, oneLine(cause));
    }
  }

  /**
   * Opens the connection the list will run on with a small request (reading the own Node).
   * The JDK's HTTP/1.1 connection keeps the exchange that opened it for as long as it lives, and
   * the informer's watch goes on to use the list's connection: opened by the list itself, it
   * would keep the whole list response (about 1 KB per Node) until the watch ends, 5 to 10
   * minutes later (decision 0849). A failure here is left to the list to report.
   */
  private void openSmallConnection() {
    try {
      client.nodes().withName(nodeName).get();
    } catch (KubernetesClientException e) {
      LOG.debug("reading node \"{}\" before listing: {}", nodeName, e.getMessage());
    }
  }

  /**
   * Informer list/watch failures are retried (the API server may be restarting), except an
   * authorization failure before start-up's first list: that will not heal, so start-up fails
   * with it. After start-up every failure is retried, counted in the {@link ListingHealth} and
   * logged as one ERROR line (fabric8's own stack trace is kept out of the daemon's log,
   * decision 0974): until a list succeeds, changes to Nodes are not seen (decision 0971).
   */
  private boolean retryInformer(boolean started, Throwable t) {
    Throwable cause = t;
    while (cause != null && !(cause instanceof KubernetesClientException)) {
      cause = cause.getCause(); // fabric8 wraps it in CompletionException
    }
    boolean afterStartUp;
    synchronized (lock) {
      afterStartUp = listAwaited;
    }
    if (!afterStartUp && cause instanceof KubernetesClientException e
        && (e.getCode() == 401 || e.getCode() == 403)) {
      LOG.error("listing nodes failed (RBAC needs nodes: get,list,watch): {}", e.getMessage());
      return false;
    }
    if (started) {
      watchGap.failed(); // the watchdog lists again once the watch is back
    }
    if (afterStartUp) {
      int n = health.failed("listing nodes failed: " + oneLine(t));
      LOG.error("listing or watching nodes failed ({} in a row): {}; changes to Nodes are not seen until a list"
          + " succeeds; retrying with backoff", n, oneLine(t));
    } else {
      LOG.warn("node informer: {}; retrying", oneLine(t));
    }
    return true;
  }

  /** The innermost cause's class and message, on one line. */
  static String oneLine(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root
        && !(root instanceof KubernetesClientException && root.getMessage() != null)) {
      root = root.getCause();
    }
    String m = root.getMessage() == null ? root.getClass().getSimpleName()
        : root.getClass().getSimpleName() + ": " + root.getMessage();
    return m.replace('\n', ' ').strip();
  }

  /**
   * Runs on the informer's thread: only decides whether a change matters (the store's reading
   * of the node changed) and enqueues the node name. Heartbeat-only status updates are dropped
   * here.
   */
  private final class Handler implements ResourceEventHandler<Node> {
    private final NodeEventLoop loop;

    Handler(NodeEventLoop loop) {
      this.loop = loop;
    }

    @Override
    public void onAdd(Node node) {
      String name = node.getMetadata().getName();
      store.takeChanged(name); // this notice covers the reading the store holds now
      loop.nodeChanged(name);
    }

    @Override
    public void onUpdate(Node oldNode, Node newNode) {
      String name = newNode.getMetadata().getName();
      if (store.takeChanged(name)) {
        loop.nodeChanged(name);
      }
    }

    @Override
    public void onDelete(Node node, boolean finalStateUnknown) {
      loop.nodeChanged(node.getMetadata().getName());
    }
  }

  /** Stops the informer, the watchdog and the event thread. The client stays open. */
  @Override
  public void close() {
    SharedIndexInformer<Node> i;
    NodeEventLoop l;
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      i = informer;
      l = loop;
      if (watchdog != null) {
        watchdog.shutdownNow();
      }
    }
    if (i != null) {
      i.stop();
    }
    if (l != null) {
      l.close();
    }
  }
}
