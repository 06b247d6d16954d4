package io.jflannel.subnet.kube;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.jflannel.subnet.Lease;
import io.jflannel.subnet.LeaseAttrs;
import io.jflannel.subnet.LeaseSink;
import io.jflannel.subnet.NetworkConfig;
import io.jflannel.subnet.SubnetException;
import io.jflannel.subnet.SubnetManager;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Kubernetes subnet manager ({@code --kube-subnet-mgr}): this node's subnet is its
 * {@code spec.podCIDRs}, what it advertises goes into annotations on its Node (written through
 * the {@code nodes/<name>/status} subresource), and peers are the other Nodes carrying those
 * annotations, watched with one shared informer.
 *
 * <p>Typical use by the daemon:
 * <pre>{@code
 * var sm = KubeSubnetManager.create(client, config, System.getenv(), options);
 * Optional<InetAddress> pinned = sm.nodePublicIp();        // like --public-ip, if annotated
 * Optional<LeaseAttrs> previous = sm.previousOwnAttrs();   // vxlan: reuse the VTEP MAC
 * Lease lease = sm.acquireLease(attrs);
 * SubnetManager.Watch w = sm.watchLeases(sink);
 * sm.markNetworkReady();
 * }</pre>
 *
 * <p>The client is borrowed: {@link #close()} stops the informer and the event thread but does
 * not close the client.
 */
public final class KubeSubnetManager implements SubnetManager {

  private static final Logger LOG = LoggerFactory.getLogger(KubeSubnetManager.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int CONDITION_ATTEMPTS = 5;
  private static final Duration POLL = Duration.ofMillis(500);
  /** How often the watchdog checks whether the node watch is connected. */
  private static final Duration WATCHDOG = Duration.ofSeconds(1);
  /**
   * A watch that lived this long and was back within {@link #ROLLOVER_GAP} was ended by the
   * server's timeout (fabric8 asks for 5 to 10 minutes): resumed, not listed (decision 0848).
   */
  private static final Duration ROLLOVER_AGE = Duration.ofMinutes(4);
  private static final Duration ROLLOVER_GAP = Duration.ofSeconds(5);

  private final KubernetesClient client;
  private final NetworkConfig config;
  private final String nodeName;
  private final KubeOptions options;
  private final AnnotationKeys keys;
  private final Clock clock;
  private final SlimNodeStore store;
  private final PeerTracker tracker;
  private final Object lock = new Object();

  private NodeView startView;                 // own node as first read; guarded by lock
  private SharedIndexInformer<Node> informer; // guarded by lock
  private NodeEventLoop loop;                 // guarded by lock
  /** The informer's first list, started by {@link #launchInformer()}; guarded by lock. */
  private CompletableFuture<Void> firstList;
  /** Whether a watchLeases call has waited for {@link #firstList} (or given up on it); guarded by lock. */
  private boolean listAwaited;
  private boolean closed;                     // guarded by lock
  private ScheduledExecutorService watchdog;  // guarded by lock
  private final WatchGap watchGap = new WatchGap(ROLLOVER_AGE, ROLLOVER_GAP);

  /**
   * A manager for node {@code nodeName}. Does no I/O until a method needs it.
   *
   * @param client   a client with RBAC {@code nodes: get,list,watch}, {@code nodes/status: patch}
   * @param config   the parsed net-conf.json
   * @param nodeName this node's name (see {@link NodeNames#resolve})
   * @param options  prefix, queue depth, timeouts
   */
  public KubeSubnetManager(KubernetesClient client, NetworkConfig config, String nodeName,
      KubeOptions options) {
    this(client, config, nodeName, options, Clock.systemUTC());
  }

  KubeSubnetManager(KubernetesClient client, NetworkConfig config, String nodeName,
      KubeOptions options, Clock clock) {
    this.client = Objects.requireNonNull(client, "client");
    this.config = Objects.requireNonNull(config, "config");
    this.nodeName = Objects.requireNonNull(nodeName, "nodeName");
    this.options = Objects.requireNonNull(options, "options");
    this.keys = options.annotations();
    this.clock = clock;
    PeerReader reader = new PeerReader(keys, config.enableIpv4(), config.enableIpv6());
    this.store = new SlimNodeStore(keys, reader);
    this.tracker = new PeerTracker(nodeName);
  }

  /**
   * Resolves the node name from {@code env} ({@code NODE_NAME}, or {@code POD_NAME} +
   * {@code POD_NAMESPACE}) and builds the manager.
   */
  public static KubeSubnetManager create(KubernetesClient client, NetworkConfig config,
      Map<String, String> env, KubeOptions options) throws SubnetException {
    return new KubeSubnetManager(client, config, NodeNames.resolve(client, env), options);
  }

  /** This node's name. */
  public String nodeName() {
    return nodeName;
  }

  @Override
  public NetworkConfig networkConfig() {
    return config;
  }

  /**
   * The address an operator pinned with the {@code P/node-public-ip} annotation on this node;
   * the daemon uses it like {@code --public-ip} when that flag is absent.
   *
   * @throws SubnetException when the node cannot be read or the annotation is not an IPv4 address
   */
  public Optional<InetAddress> nodePublicIp() throws SubnetException {
    return new OwnNode(startView(), keys).address(keys.nodePublicIp(), false);
  }

  /** Like {@link #nodePublicIp()} for {@code P/node-public-ipv6} ({@code --public-ipv6}). */
  public Optional<InetAddress> nodePublicIpv6() throws SubnetException {
    return new OwnNode(startView(), keys).address(keys.nodePublicIpv6(), true);
  }

  /**
   * This node's annotations as they were when the manager first read the node (before
   * {@link #acquireLease} rewrote them), so vxlan can keep its VTEP MAC across restarts.
   * Empty when the node carries no backend type or cannot be read.
   */
  @Override
  public Optional<LeaseAttrs> previousOwnAttrs() {
    try {
      return new OwnNode(startView(), keys).previousAttrs();
    } catch (SubnetException e) {
      LOG.warn("cannot read the previous flannel annotations of node \"{}\": {}",
          nodeName, e.getMessage());
      return Optional.empty();
    }
  }

  /**
   * Reads this node's podCIDRs (waiting up to {@link KubeOptions#podCidrWait()} for them),
   * checks them against the network config, and publishes {@code attrs} as annotations through
   * the status subresource when any differs. The returned lease carries the advertised
   * attributes (after {@code public-ip-overwrite}) and no expiration.
   */
  @Override
  public Lease acquireLease(LeaseAttrs attrs) throws SubnetException {
    Objects.requireNonNull(attrs, "attrs");
    // The peers' list runs while the lease, the backend and subnet.env are set up; watchLeases
    // waits for what is left of it (decision 0858).
    launchInformer();
    NodeView view = waitForPodCidrs();
    OwnNode own = new OwnNode(view, keys);
    OwnNode.Subnets subnets = own.subnets(config);
    LeaseAttrs advertised = own.advertised(attrs);
    if (!Objects.equals(advertised.publicIp(), attrs.publicIp())) {
      LOG.info("advertising public ip {} from annotation {} instead of {}",
          advertised.publicIp().getHostAddress(), keys.publicIpOverwrite(), attrs.publicIp());
    }
    if (!Objects.equals(advertised.publicIpv6(), attrs.publicIpv6())) {
      LOG.info("advertising public ipv6 {} from annotation {} instead of {}",
          advertised.publicIpv6().getHostAddress(), keys.publicIpv6Overwrite(), attrs.publicIpv6());
    }
    Map<String, String> diff = own.missingOrDifferent(own.desiredAnnotations(advertised, config));
    if (diff.isEmpty()) {
      LOG.info("node \"{}\" already carries the current flannel annotations", nodeName);
    } else {
      patchAnnotations(diff);
    }
    return new Lease(subnets.ipv4(), subnets.ipv6(), advertised, null);
  }

  /** Kube leases do not expire: returns {@code lease} unchanged. */
  @Override
  public Lease renewLease(Lease lease) {
    return lease;
  }

  /**
   * Starts the node informer if needed (waiting for its first full list), then delivers every
   * current peer as one Added batch followed by changes. One subscriber at a time: a new call
   * replaces the previous subscriber.
   */
  @Override
  public Watch watchLeases(LeaseSink sink) throws SubnetException {
    Objects.requireNonNull(sink, "sink");
    NodeEventLoop l = startInformer();
    l.subscribe(sink);
    return () -> l.unsubscribe(sink);
  }

  /**
   * Sets the node condition {@code NetworkUnavailable=False} (reason {@code FlannelIsUp}) with a
   * JSON patch of the status subresource that leaves the other conditions alone; retries when
   * the node changed underneath. Does nothing when {@code setNodeNetworkUnavailable} is off or
   * the condition is already set.
   */
  @Override
  public void markNetworkReady() throws SubnetException {
    if (!options.setNodeNetworkUnavailable()) {
      LOG.info("not setting NetworkUnavailable=False on node \"{}\" (disabled)", nodeName);
      return;
    }
    KubernetesClientException last = null;
    for (int attempt = 1; attempt <= CONDITION_ATTEMPTS; attempt++) {
      Node node = getOwnNode();
      Optional<String> patch = NetworkUnavailableCondition.patchFor(node, clock.instant());
      if (patch.isEmpty()) {
        LOG.info("node \"{}\" already has NetworkUnavailable=False", nodeName);
        return;
      }
      try {
        client.nodes().withName(nodeName).subresource("status")
            .patch(PatchContext.of(PatchType.JSON), patch.get());
        LOG.info("set NetworkUnavailable=False on node \"{}\"", nodeName);
        return;
      } catch (KubernetesClientException e) {
        // 422: a "test" operation failed; 409: conflict. Both mean the node moved: re-read.
        if (e.getCode() != 409 && e.getCode() != 422) {
          throw new SubnetException("setting NetworkUnavailable=False on node \"" + nodeName
              + "\": " + e.getMessage(), e);
        }
        last = e;
        LOG.debug("node \"{}\" changed while setting its condition (attempt {}): {}",
            nodeName, attempt, e.getMessage());
      }
    }
    throw new SubnetException("setting NetworkUnavailable=False on node \"" + nodeName
        + "\": still conflicting after " + CONDITION_ATTEMPTS + " attempts", last);
  }

  /** How many times a peer node was skipped because one of its fields was malformed. */
  public long rejectedPeers() {
    return tracker.rejected();
  }

  @Override
  public long malformedPeers() {
    return rejectedPeers();
  }

  /** Stops the informer and the event thread. The client stays open. */
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

  // ---- internals -------------------------------------------------------------------------

  private void patchAnnotations(Map<String, String> diff) throws SubnetException {
    ObjectNode patch = JSON.createObjectNode();
    ObjectNode ann = patch.putObject("metadata").putObject("annotations");
    diff.forEach(ann::put);
    try {
      // Annotations go through the status subresource: the flannel ClusterRole grants
      // nodes/status patch but not nodes patch (docs/decisions/0351). A merge patch of a map
      // touches only the keys it names.
      client.nodes().withName(nodeName).subresource("status")
          .patch(PatchContext.of(PatchType.JSON_MERGE), patch.toString());
    } catch (KubernetesClientException e) {
      throw new SubnetException("writing flannel annotations " + diff.keySet() + " on node \""
          + nodeName + "\": " + explain(e), e);
    }
    LOG.info("updated annotations {} on node \"{}\"", diff.keySet(), nodeName);
  }

  /**
   * fabric8's messages name the operation but not the server or the underlying failure
   * (connection refused, TLS); a fatal start-up line needs both.
   */
  private String explain(KubernetesClientException e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String why = root == e ? "" : ": " + (root.getMessage() == null
        ? root.getClass().getSimpleName() : root.getMessage());
    String status = e.getCode() > 0 ? " (HTTP " + e.getCode() + ")" : "";
    return "API server " + client.getMasterUrl() + status + why;
  }

  private Node getOwnNode() throws SubnetException {
    Node node;
    try {
      node = client.nodes().withName(nodeName).get();
    } catch (KubernetesClientException e) {
      throw new SubnetException("reading node \"" + nodeName + "\": " + explain(e), e);
    }
    if (node == null) {
      throw new SubnetException("node \"" + nodeName + "\" not found");
    }
    return node;
  }

  /** The own node as first read by this manager (read now if not yet). */
  private NodeView startView() throws SubnetException {
    synchronized (lock) {
      if (startView != null) {
        return startView;
      }
    }
    NodeView v = NodeView.of(getOwnNode(), keys);
    synchronized (lock) {
      if (startView == null) {
        startView = v;
      }
      return startView;
    }
  }

  private NodeView waitForPodCidrs() throws SubnetException {
    long deadline = System.nanoTime() + options.podCidrWait().toNanos();
    boolean logged = false;
    while (true) {
      NodeView v = NodeView.of(getOwnNode(), keys);
      synchronized (lock) {
        if (startView == null) {
          startView = v;
        }
      }
      if (new OwnNode(v, keys).hasPodCidrs(config)) {
        return v;
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return v; // subnets() reports what is missing
      }
      if (!logged) {
        LOG.info("waiting up to {} for node \"{}\" to get a pod cidr", options.podCidrWait(),
            nodeName);
        logged = true;
      }
      try {
        Thread.sleep(Math.max(1, Math.min(POLL.toMillis(), TimeUnit.NANOSECONDS.toMillis(left))));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new SubnetException("interrupted while waiting for the pod cidr of node \""
            + nodeName + "\"", e);
      }
    }
  }

  /**
   * Creates the node informer and starts its first list without waiting for it (once; later
   * calls return the same loop). Events before a subscriber are only stored: the subscriber
   * gets every peer from the store when it subscribes.
   */
  private NodeEventLoop launchInformer() throws SubnetException {
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
      LOG.info("starting the node informer");
      firstList = inf.start().toCompletableFuture();
    }
    return l;
  }

  /** Starts the informer if needed and waits for its first full list. */
  private NodeEventLoop startInformer() throws SubnetException {
    NodeEventLoop l = launchInformer();
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
      LOG.info("node informer synced: {} nodes", store.size());
      awaited();
    } catch (TimeoutException e) {
      if (!options.continueWhenCacheNotReady()) {
        throw new SubnetException("the node informer did not finish its first list within "
            + options.cacheSyncTimeout() + " (CONT_WHEN_CACHE_NOT_READY=true continues anyway)", e);
      }
      LOG.warn("node informer not synced after {}; continuing (CONT_WHEN_CACHE_NOT_READY)",
          options.cacheSyncTimeout());
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
      watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "jfl-kube-watchdog");
        t.setDaemon(true);
        return t;
      });
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
    boolean wasDown = watchGap.isDown();
    long downMs = watchGap.look(current.isWatching(), System.nanoTime());
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
    synchronized (lock) {
      if (closed || loop == null) {
        return;
      }
      old = informer;
      fresh = newInformer(loop);
      informer = fresh;
    }
    old.stop();
    openSmallConnection();
    try {
      fresh.start().toCompletableFuture()
          .get(options.cacheSyncTimeout().toMillis(), TimeUnit.MILLISECONDS);
      LOG.info("node list after reconnect: {} nodes", store.size());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      // The new informer keeps retrying by itself; the watchdog sees it when it is back.
      LOG.warn("listing nodes after reconnect: {}", e.toString());
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
   * authorization failure before the first list: that will not heal, so start-up fails with it.
   */
  private boolean retryInformer(boolean started, Throwable t) {
    Throwable cause = t;
    while (cause != null && !(cause instanceof KubernetesClientException)) {
      cause = cause.getCause(); // fabric8 wraps it in CompletionException
    }
    if (!started && cause instanceof KubernetesClientException e
        && (e.getCode() == 401 || e.getCode() == 403)) {
      LOG.error("listing nodes failed (RBAC needs nodes: get,list,watch): {}", e.getMessage());
      return false;
    }
    if (started) {
      watchGap.failed(); // the watchdog lists again once the watch is back
    }
    LOG.warn("node informer: {}; retrying", t.toString());
    return true;
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
}
