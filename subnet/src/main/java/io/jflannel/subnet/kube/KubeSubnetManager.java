package io.jflannel.subnet.kube;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.jflannel.subnet.IpLiteral;
import io.jflannel.subnet.Lease;
import io.jflannel.subnet.LeaseAttrs;
import io.jflannel.subnet.ListingHealth;
import io.jflannel.subnet.NetworkConfig;
import io.jflannel.subnet.PeerListener;
import io.jflannel.subnet.PeerSet;
import io.jflannel.subnet.RestoreBudget;
import io.jflannel.subnet.SubnetException;
import io.jflannel.subnet.SubnetManager;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
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
 * Optional<InetAddress> pinned = sm.storedPublicIp(false); // like --public-ip, if annotated
 * Optional<LeaseAttrs> previous = sm.previousOwnAttrs();   // vxlan: reuse the VTEP MAC
 * Lease lease = sm.acquireLease(attrs);
 * SubnetManager.Watch w = sm.watchPeers(listener);
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

  private final KubernetesClient client;
  private final NetworkConfig config;
  private final String nodeName;
  private final KubeOptions options;
  private final AnnotationKeys keys;
  private final Clock clock;
  private final SlimNodeStore store;
  private final PeerTracker tracker;
  private final Object lock = new Object();
  private final ListingHealth listing = new ListingHealth();

  private final NodeInformer informer;
  private NodeView startView;                 // own node as first read; guarded by lock
  private OwnNodeGuard ownGuard;              // after acquireLease; guarded by lock

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
    this.store = new SlimNodeStore(keys, reader, nodeName);
    this.tracker = new PeerTracker(nodeName, new PeerSet());
    this.informer = new NodeInformer(client, nodeName, options, store, tracker, listing);
  }

  /**
   * Resolves the node name from {@code env} ({@code NODE_NAME}, or {@code POD_NAME} +
   * {@code POD_NAMESPACE}) and builds the manager.
   */
  public static KubeSubnetManager create(KubernetesClient client, NetworkConfig config,
      Map<String, String> env, KubeOptions options) throws SubnetException {
    return new KubeSubnetManager(client, config, NodeNames.resolve(client, env), options);
  }

  /** The node informer (tests adjust its limits). */
  NodeInformer informer() {
    return informer;
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
  @Override
  public Optional<InetAddress> storedPublicIp(boolean ipv6) throws SubnetException {
    return new OwnNode(startView(), keys).address(ipv6 ? keys.nodePublicIpv6() : keys.nodePublicIp(), ipv6);
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
    // The peers' list runs while the lease, the backend and subnet.env are set up; watchPeers
    // waits for what is left of it (decision 0858).
    NodeEventLoop loop = informer.launch();
    NodeView view = waitForPodCidrs();
    OwnNode own = new OwnNode(view, keys);
    OwnNode.Subnets subnets = own.subnets(config);
    LeaseAttrs advertised = own.advertised(attrs);
    if (!Objects.equals(advertised.publicIp(), attrs.publicIp())) {
      LOG.info("Overriding public ip with '{}' from node annotation '{}'",
          IpLiteral.format(advertised.publicIp()), keys.publicIpOverwrite());
    }
    if (!Objects.equals(advertised.publicIpv6(), attrs.publicIpv6())) {
      LOG.info("Overriding public ipv6 with '{}' from node annotation '{}'",
          IpLiteral.format(advertised.publicIpv6()), keys.publicIpv6Overwrite());
    }
    Map<String, String> desired = own.desiredAnnotations(advertised, config);
    Map<String, String> diff = own.missingOrDifferent(desired);
    if (diff.isEmpty()) {
      LOG.info("node \"{}\" already carries the current flannel annotations", nodeName);
    } else {
      patchAnnotations(diff);
    }
    Lease lease = new Lease(subnets.ipv4(), subnets.ipv6(), advertised, null);
    tracker.peers().own(lease.key());
    // From now on our Node must keep what we published (decision 0976).
    OwnNodeGuard guard = new OwnNodeGuard(nodeName, keys, config, subnets, desired, new OwnNodeApi(),
        new RestoreBudget());
    synchronized (lock) {
      if (ownGuard != null) {
        ownGuard.close();
      }
      ownGuard = guard;
    }
    loop.guardOwnNode(guard);
    return lease;
  }

  /**
   * This node's lease as its Node publishes it now, for {@code flanneld check}.
   *
   * @param published  the lease as a peer reads it: the podCIDRs and the {@code public-ip},
   *                   {@code backend-type} and {@code backend-data} annotations
   * @param advertised the public IPv4 address {@link #acquireLease} publishes when this node
   *                   resolves {@code publicIp}: the {@code public-ip-overwrite} annotation if
   *                   set, else that address
   */
  public record OwnLease(Lease published, InetAddress advertised) {
  }

  /**
   * Reads this node's Node once and returns the lease it publishes, read as peers read it, and
   * the address {@link #acquireLease} would advertise for {@code publicIp}. Writes nothing (no
   * annotation, no condition) and starts nothing.
   *
   * @throws SubnetException when the Node cannot be read, has no or a wrong pod cidr (as
   *     {@link #acquireLease} words it), is not a flannel node yet (no
   *     {@code kube-subnet-manager=true} annotation), or publishes a malformed field (naming it)
   */
  public OwnLease readOwnLease(InetAddress publicIp) throws SubnetException {
    NodeView view = NodeView.of(getOwnNode(), keys);
    OwnNode own = new OwnNode(view, keys);
    own.subnets(config);
    InetAddress advertised = own.address(keys.publicIpOverwrite(), false).orElse(publicIp); // as advertised()
    PeerReader.Reading r = new PeerReader(keys, config.enableIpv4(), config.enableIpv6()).read(view);
    if (r instanceof PeerReader.Peer p) {
      return new OwnLease(p.lease(), advertised);
    }
    if (r instanceof PeerReader.NotPeer n) {
      throw new SubnetException("node \"" + nodeName + "\" publishes no lease: " + n.why());
    }
    PeerReader.Malformed m = (PeerReader.Malformed) r;
    throw new SubnetException("node \"" + nodeName + "\" publishes a malformed lease: " + m.field() + " "
        + m.problem());
  }

  /** Kube leases do not expire: returns {@code lease} unchanged. */
  @Override
  public Lease renewLease(Lease lease) {
    return lease;
  }

  /**
   * Starts the node informer if needed (waiting for its first full list), then tells
   * {@code listener} of the peer set: first with every current peer, then at each change. One
   * subscriber at a time: a new call replaces the previous subscriber.
   */
  @Override
  public Watch watchPeers(PeerListener listener) throws SubnetException {
    Objects.requireNonNull(listener, "listener");
    NodeEventLoop l = informer.awaitFirstList();
    l.subscribe(listener);
    return () -> l.unsubscribe(listener);
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

  @Override
  public long peerListFailures() {
    return listing.failures();
  }

  @Override
  public Optional<String> peerListProblem() {
    return listing.problem();
  }

  /**
   * Every peer Node's advertised attributes by name, once the node informer's first list is
   * complete (it waits for it, as {@link #watchPeers} does). Malformed Nodes and our own are not
   * included.
   */
  @Override
  public Map<String, LeaseAttrs> currentPeers() throws SubnetException {
    informer.awaitFirstList();
    Map<String, LeaseAttrs> out = new java.util.HashMap<>();
    store.readings().forEach((name, r) -> {
      if (r instanceof PeerReader.Peer p && !name.equals(nodeName)) {
        out.put(name, p.lease().attrs());
      }
    });
    return out;
  }

  /** Stops the informer, the event thread and the own-Node guard. The client stays open. */
  @Override
  public void close() {
    informer.close();
    synchronized (lock) {
      if (ownGuard != null) {
        ownGuard.close();
      }
    }
  }

  /** The guard's view of the API server: the own Node, its annotations, its condition. */
  private final class OwnNodeApi implements OwnNodeGuard.Api {
    @Override
    public Optional<NodeView> read() throws SubnetException {
      Node node;
      try {
        node = client.nodes().withName(nodeName).get();
      } catch (KubernetesClientException e) {
        throw new SubnetException("reading node \"" + nodeName + "\": " + explain(e), e);
      }
      return node == null ? Optional.empty() : Optional.of(NodeView.of(node, keys));
    }

    @Override
    public void patch(Map<String, String> annotations) throws SubnetException {
      patchAnnotations(annotations);
    }

    @Override
    public void markNetworkReady() throws SubnetException {
      KubeSubnetManager.this.markNetworkReady();
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

}
