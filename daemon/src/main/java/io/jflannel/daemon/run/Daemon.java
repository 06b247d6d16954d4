package io.jflannel.daemon.run;

import io.jflannel.backend.BackendContext;
import io.jflannel.backend.BackendException;
import io.jflannel.backend.Backends;
import io.jflannel.backend.ExternalInterface;
import io.jflannel.backend.Network;
import io.jflannel.daemon.Version;
import io.jflannel.daemon.flags.FlanneldOptions;
import io.jflannel.daemon.http.HealthServer;
import io.jflannel.daemon.http.Readiness;
import io.jflannel.daemon.metrics.FlannelMetrics;
import io.jflannel.daemon.rules.RuleTools;
import io.jflannel.daemon.runtime.HeapCompaction;
import io.jflannel.netlink.Netlink;
import io.jflannel.netlink.NetlinkException;
import io.jflannel.subnet.IpLiteral;
import io.jflannel.subnet.Lease;
import io.jflannel.subnet.NetworkConfig;
import io.jflannel.subnet.SubnetEnv;
import io.jflannel.subnet.SubnetException;
import io.jflannel.subnet.SubnetFile;
import io.jflannel.subnet.SubnetManager;
import io.jflannel.subnet.Threads;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The flanneld start-up sequence: store and network config, external interface, backend and
 * lease, traffic rules, subnet.env, ready; then peers flow from the store to the backend
 * ({@link PeerSync}) until a signal (exit 0), the loss of the own lease (exit 0) or a fatal
 * error (exit 1).
 *
 * <p>Stopping leaves the dataplane in place (device, routes, neighbours, FDB entries, rules,
 * subnet.env) so pod traffic keeps flowing across restarts.
 */
public final class Daemon implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Daemon.class);

  private final FlanneldOptions options;
  private final Map<String, String> env;
  private final Readiness readiness = new Readiness();
  private final FlannelMetrics metrics = new FlannelMetrics(Version.current(), readiness::isReady);
  private final CompletableFuture<Integer> exit = new CompletableFuture<>();
  // Everything started, closed in reverse order on shutdown.
  private final Deque<AutoCloseable> resources = new ArrayDeque<>();
  private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(Threads.single("timers"));

  public Daemon(FlanneldOptions options, Map<String, String> env) {
    this.options = options;
    this.env = env;
  }

  /** The health/readiness state (tests read it). */
  public Readiness readiness() {
    return readiness;
  }

  /**
   * Runs the start-up sequence. Returns once the node is ready, or at once when {@link #stop}
   * is called while it waits for the etcd network config; {@link #awaitExit()} then blocks
   * until the daemon should stop.
   *
   * @throws FatalException naming what failed, for one line on stderr and exit status 1
   */
  public void start() throws FatalException {
    // Before anything else, so a second flanneld on this node stops here (decision 0970).
    resources.push(NodeLock.acquire(NodeLock.pathFor(options.subnetFile())));
    try {
      HealthServer.startIfEnabled(options.health(), readiness, metrics::scrape).ifPresent(resources::push);
    } catch (IllegalStateException e) {
      throw new FatalException(e.getMessage(), e);
    }
    SubnetFile subnetFile = new SubnetFile(options.subnetFile());
    Optional<SubnetEnv> previous = readPrevious(subnetFile);
    StoreFactory.Opening store = new StoreFactory(options, env).openAsync(previous.orElse(null));

    Netlink netlink;
    try {
      netlink = openNetlink();
    } catch (FatalException e) {
      store.abandon();
      throw e;
    }
    resources.push(netlink);

    // In etcd mode this waits for etcd and a valid config for as long as it takes; a signal
    // meanwhile ends start() at once, and awaitExit() then returns its status (0).
    Optional<StoreFactory.Store> joined = store.join(resources, exit);
    if (joined.isEmpty()) {
      LOG.info("stopping before the network config was found");
      return;
    }
    StoreFactory.Store opened = joined.get();
    SubnetManager subnets = opened.subnets();
    metrics.malformedPeers(subnets::malformedPeers);
    metrics.storeListing(subnets::peerListFailures, () -> subnets.peerListProblem().isEmpty());
    readiness.requirePeerListing(subnets::peerListProblem);
    NetworkConfig config = opened.config();
    LOG.info("Found network config - Backend type: {}", config.backend().type());
    LOG.info("network config: Network={} IPv6Network={} backend={}", config.network(),
        config.ipv6Network(), config.backend().type());
    RuleTools ruleTools = RuleSetup.tools(options.rules(), config); // a host without them fails before the lease
    BridgeNetfilterCheck.system().check(config);

    if (options.iface().unspecified()) {
      LOG.info("Determining IP address of default interface");
    } else if (options.iface().names().isEmpty() && options.iface().regexes().isEmpty()) {
      LOG.info("Determining interface to use based on given ifcanreach: {}", text(options.iface().canReach().get()));
    }
    ExternalInterface ext = new InterfaceResolver(options.iface()).resolve(netlink, subnets, config);
    logInterface(ext);

    String type = config.backend().type();
    Network net;
    try {
      net = Backends.create(type, new BackendContext(netlink, ext, subnets, new BackendMetrics(metrics, type, config)))
          .registerNetwork(config);
    } catch (BackendException | SubnetException e) {
      throw new FatalException(e.getMessage(), e);
    } catch (RuntimeException e) {
      throw new FatalException("backend " + type + " failed to start: " + e, e);
    }
    Lease lease = net.lease();
    resources.push(net);
    LOG.info("lease acquired: {}{}", lease.subnet() != null ? lease.subnet() : "",
        lease.ipv6Subnet() != null ? " " + lease.ipv6Subnet() : "");

    RuleSetup.install(ruleTools, options.rules(), config, lease, previous, metrics).ifPresent(resources::push);
    if (options.ipBlackholeRoute()) {
      BlackholeRoutes blackhole = new BlackholeRoutes(netlink, lease);
      blackhole.install();
      blackhole.schedule(timers, options.rules().resyncPeriod());
      resources.push(blackhole);
    }
    writeSubnetFile(subnetFile, config, net);
    LOG.info("Wrote subnet file to {}", options.subnetFile());
    // Upstream's readiness contract: ready as soon as the CNI plugin can read subnet.env.
    readiness.markReady();
    LOG.info("flannel is ready");

    net.start();
    // Upstream's backends differ in the case of this line: vxlan's starts in lower case.
    LOG.info("vxlan".equals(type) ? "watching for new subnet leases" : "Watching for new subnet leases");
    PeerSync sync = new PeerSync(net, compactionAfterPasses(), own -> stop(0), this::fail);
    resources.push(sync);
    try {
      resources.push(subnets.watchPeers(sync));
    } catch (SubnetException e) {
      throw new FatalException("failed to watch peer leases: " + e.getMessage(), e);
    }
    new LeaseRenewal(subnets, lease, timers, metrics).schedule();
    try {
      subnets.markNetworkReady();
    } catch (SubnetException e) {
      // Pods can already use the network; a failed condition update is logged, not fatal.
      LOG.warn("could not mark the node's network ready: {}", e.getMessage());
    }
    // Upstream prints this as its backend starts to run; here the peer watch and the lease
    // renewal run already, so the line marks the end of the start-up.
    LOG.info("Running backend.");
    notifySystemd();
  }

  /** READY=1 to systemd when it asked for it, as upstream; a failure is logged only. */
  private void notifySystemd() {
    SystemdNotify.fromEnv(env).ifPresent(n -> {
      try {
        n.ready();
      } catch (IOException | RuntimeException | LinkageError e) {
        LOG.error("failed to notify systemd (READY=1): {}", e.getMessage());
      }
    });
  }

  /** The heap compaction (docs/footprint.md), told about every peer pass. */
  private PassObserver compactionAfterPasses() {
    HeapCompaction compaction = new HeapCompaction(timers);
    resources.push(compaction);
    return PassObserver.of(compaction::passStarted, compaction::passFinished);
  }

  /**
   * Blocks until the daemon should stop; returns the exit status.
   *
   * @throws FatalException when it stops because of {@link #fail}, with the line to print
   */
  public int awaitExit() throws InterruptedException, FatalException {
    try {
      return exit.get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof FatalException f) {
        throw f;
      }
      return 1;
    }
  }

  /** Asks the run loop to end with {@code status}. */
  public void stop(int status) {
    exit.complete(status);
  }

  /**
   * Asks the run loop to end with status 1 and {@code reason} as the one {@code flanneld: }
   * line: the store found our own state taken over after start-up (our pod CIDR changed, our
   * lease keeps being overwritten), and a restart is what resolves it.
   */
  public void fail(String reason) {
    exit.completeExceptionally(new FatalException(reason));
  }

  private static Netlink openNetlink() throws FatalException {
    if (!Netlink.isAvailable()) {
      throw new FatalException("netlink is not available: " + Netlink.unavailabilityCause());
    }
    try {
      return Netlink.open();
    } catch (NetlinkException e) {
      throw new FatalException("cannot open netlink: " + e.getMessage(), e);
    }
  }

  private Optional<SubnetEnv> readPrevious(SubnetFile file) {
    try {
      return file.read();
    } catch (IOException e) {
      // A corrupt previous file only loses the "reuse my old subnet" hint.
      LOG.warn("ignoring previous {}: {}", file.path(), e.getMessage());
      return Optional.empty();
    }
  }

  private void writeSubnetFile(SubnetFile file, NetworkConfig config, Network net) throws FatalException {
    Lease lease = net.lease();
    SubnetEnv envFile = new SubnetEnv(
        lease.subnet() != null ? config.network() : null,
        lease.subnet(),
        lease.ipv6Subnet() != null ? config.ipv6Network() : null,
        lease.ipv6Subnet(),
        net.mtu(),
        options.rules().ipMasq());
    try {
      file.write(envFile);
    } catch (IOException e) {
      // SubnetFile's message already names the file and the cause ("cannot write F: ...").
      throw new FatalException(e.getMessage(), e);
    }
  }

  /** Upstream's lines about the chosen interface and the advertised addresses, then ours with the index and MTU. */
  private void logInterface(ExternalInterface ext) {
    if (ext.ifaceAddr() != null) {
      LOG.info("Using interface with name {} and address {}", ext.name(), text(ext.ifaceAddr()));
    }
    if (ext.ifaceV6Addr() != null) {
      LOG.info("Using interface with name {} and v6 address {}", ext.name(), text(ext.ifaceV6Addr()));
    }
    if (ext.extAddr() != null) {
      if (ext.extAddr().equals(ext.ifaceAddr()) && options.iface().publicIp().isEmpty()) {
        LOG.info("Defaulting external address to interface address ({})", text(ext.ifaceAddr()));
      } else {
        LOG.info("Using {} as external address", text(ext.extAddr()));
      }
    }
    if (ext.extV6Addr() != null) {
      if (ext.extV6Addr().equals(ext.ifaceV6Addr()) && options.iface().publicIpv6().isEmpty()) {
        LOG.info("Defaulting external v6 address to interface address ({})", text(ext.ifaceV6Addr()));
      } else {
        LOG.info("Using {} as external address", text(ext.extV6Addr()));
      }
    }
    LOG.info("external interface {}: index {}, MTU {}", ext.name(), ext.index(), ext.mtu());
  }

  private static String text(java.net.InetAddress a) {
    return a == null ? "-" : IpLiteral.format(a);
  }

  /** Stops watchers, timers and servers; leaves the dataplane in place. */
  @Override
  public void close() {
    timers.shutdownNow();
    while (!resources.isEmpty()) {
      AutoCloseable c = resources.pop();
      try {
        c.close();
      } catch (Exception e) {
        LOG.warn("error while stopping {}: {}", c.getClass().getSimpleName(), e.toString());
      }
    }
  }
}
