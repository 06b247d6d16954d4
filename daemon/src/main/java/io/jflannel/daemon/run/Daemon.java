package io.jflannel.daemon.run;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.jflannel.backend.Backend;
import io.jflannel.backend.BackendContext;
import io.jflannel.backend.BackendException;
import io.jflannel.backend.Backends;
import io.jflannel.backend.ExternalInterface;
import io.jflannel.backend.Network;
import io.jflannel.daemon.Version;
import io.jflannel.daemon.flags.FlanneldOptions;
import io.jflannel.daemon.http.HealthServer;
import io.jflannel.daemon.http.Readiness;
import io.jflannel.daemon.iface.InterfaceSelectionException;
import io.jflannel.daemon.iface.InterfaceSelector;
import io.jflannel.daemon.iface.NetlinkInventory;
import io.jflannel.daemon.metrics.FlannelMetrics;
import io.jflannel.daemon.rules.FamilyNets;
import io.jflannel.daemon.rules.RulePlan;
import io.jflannel.daemon.rules.RuleResync;
import io.jflannel.daemon.rules.RuleSetupException;
import io.jflannel.daemon.rules.RuleTools;
import io.jflannel.daemon.rules.TrafficRules;
import io.jflannel.netlink.Netlink;
import io.jflannel.netlink.NetlinkException;
import io.jflannel.netlink.Route;
import io.jflannel.netlink.socket.NativeHeap;
import io.jflannel.subnet.IpNet;
import io.jflannel.subnet.Lease;
import io.jflannel.subnet.LeaseAttrs;
import io.jflannel.subnet.LeaseEvent;
import io.jflannel.subnet.LeaseSink;
import io.jflannel.subnet.LeaseWatcher;
import io.jflannel.subnet.NetworkConfig;
import io.jflannel.subnet.NetworkConfigParser;
import io.jflannel.subnet.SubnetEnv;
import io.jflannel.subnet.SubnetException;
import io.jflannel.subnet.SubnetFile;
import io.jflannel.subnet.SubnetManager;
import io.jflannel.subnet.etcd.EtcdOptions;
import io.jflannel.subnet.etcd.EtcdSubnetManager;
import io.jflannel.subnet.kube.KubeClients;
import io.jflannel.subnet.kube.KubeOptions;
import io.jflannel.subnet.kube.KubeSubnetManager;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The flanneld start-up sequence and run loop: config, external interface, subnet manager,
 * backend, traffic rules, subnet.env, ready, then peers flow from the store to the backend
 * until a signal (exit 0), the loss of the own lease (exit 0) or a fatal error (exit 1).
 *
 * <p>Stopping leaves the dataplane in place (device, routes, neighbours, FDB entries, rules,
 * subnet.env) so pod traffic keeps flowing across restarts.
 */
public final class Daemon implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Daemon.class);
  private static final Duration RENEW_RETRY = Duration.ofMinutes(1);
  /**
   * How long peers must rest after a burst before the heap is compacted (decisions 0832 and
   * 0837). A steady stream of changes keeps deferring it; the growth threshold bounds it.
   */
  private static final Duration COMPACT_AFTER_QUIET = Duration.ofSeconds(3);
  /** Peer changes delivered together beyond this many are logged as one summary line. */
  static final int PEER_LOG_BATCH = 32;

  /**
   * A full collection, then a trim of the C heap: what the JVM freed there during the start-up
   * or a storm (about 2 MiB after a kube start with 5,000 peers) would otherwise stay resident
   * until the launcher's periodic trim, up to 5 s later (decision 0854).
   */
  static void collectAndTrim() {
    System.gc();
    NativeHeap.trim();
  }

  private final FlanneldOptions options;
  private final Map<String, String> env;
  private final Readiness readiness = new Readiness();
  private final FlannelMetrics metrics = new FlannelMetrics(Version.current(), readiness::isReady);
  private final CompletableFuture<Integer> exit = new CompletableFuture<>();
  // Everything started, closed in reverse order on shutdown.
  private final Deque<AutoCloseable> resources = new ArrayDeque<>();
  private final ScheduledExecutorService timers =
      Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "jfl-timers");
        t.setDaemon(true);
        return t;
      });

  private volatile Lease lease;

  public Daemon(FlanneldOptions options, Map<String, String> env) {
    this.options = options;
    this.env = env;
  }

  /** The health/readiness state (tests read it). */
  public Readiness readiness() {
    return readiness;
  }

  /**
   * Runs the start-up sequence. Returns once the node is ready; {@link #awaitExit()} then
   * blocks until the daemon should stop.
   *
   * @throws FatalException naming what failed, for one line on stderr and exit status 1
   */
  public void start() throws FatalException {
    try {
      HealthServer.startIfEnabled(options.health(), readiness, metrics::scrape).ifPresent(resources::push);
    } catch (IllegalStateException e) {
      throw new FatalException(e.getMessage(), e);
    }
    SubnetFile subnetFile = new SubnetFile(options.subnetFile());
    Optional<SubnetEnv> previous = readPrevious(subnetFile);
    // Initialising the store client (gRPC and vert.x, or fabric8) and reading the network
    // config take a few hundred milliseconds of class loading and a round trip; they run on
    // their own thread while this one opens netlink (docs/decisions/0804).
    Deque<AutoCloseable> storeOwned = new ConcurrentLinkedDeque<>();
    CompletableFuture<Store> store = new CompletableFuture<>();
    Thread storeInit = new Thread(() -> {
      try {
        SubnetManager m = subnetManager(previous.orElse(null), storeOwned);
        storeOwned.push(m);
        store.complete(new Store(m, networkConfig(m)));
      } catch (Throwable e) {
        // Errors too (a class missing from a broken install): a future left incomplete would
        // leave start() waiting for good.
        store.completeExceptionally(e);
      }
    }, "jfl-store-init");
    storeInit.setDaemon(true);
    storeInit.start();

    Netlink netlink;
    try {
      if (!Netlink.isAvailable()) {
        throw new FatalException("netlink is not available: " + Netlink.unavailabilityCause());
      }
      try {
        netlink = Netlink.open();
      } catch (NetlinkException e) {
        throw new FatalException("cannot open netlink: " + e.getMessage(), e);
      }
    } catch (FatalException e) {
      // Exiting: whatever the store thread still opens is closed when it is done.
      store.whenComplete((ok, err) -> closeAll(storeOwned));
      throw e;
    }
    resources.push(netlink);

    Store opened = joinStore(store, storeOwned);
    SubnetManager subnets = opened.subnets();
    metrics.malformedPeers(subnets::malformedPeers);
    NetworkConfig config = opened.config();
    LOG.info("network config: Network={} IPv6Network={} backend={}", config.network(),
        config.ipv6Network(), config.backend().type());
    RuleTools ruleTools; // before the lease: a host without the rule tools fails with one line
    try {
      ruleTools = RuleTools.select(options.rules(), config);
    } catch (RuleSetupException e) {
      throw new FatalException(e.getMessage(), e);
    }

    ExternalInterface ext = externalInterface(netlink, subnets, config);
    LOG.info("using interface {} (index {}), address {}, advertising {}{}", ext.name(), ext.index(),
        text(ext.ifaceAddr() != null ? ext.ifaceAddr() : ext.ifaceV6Addr()),
        text(ext.extAddr() != null ? ext.extAddr() : ext.extV6Addr()),
        ext.extV6Addr() != null && ext.extAddr() != null ? " and " + text(ext.extV6Addr()) : "");

    String type = config.backend().type();
    Network net;
    try {
      Backend backend = Backends.create(type,
          new BackendContext(netlink, ext, subnets, new BackendMetrics(metrics, type, config)));
      net = backend.registerNetwork(config);
    } catch (BackendException | SubnetException e) {
      throw new FatalException(e.getMessage(), e);
    } catch (RuntimeException e) {
      throw new FatalException("backend " + type + " failed to start: " + e, e);
    }
    lease = net.lease();
    resources.push(net);
    LOG.info("lease acquired: {}{}", lease.subnet() != null ? lease.subnet() : "",
        lease.ipv6Subnet() != null ? " " + lease.ipv6Subnet() : "");

    setUpRules(ruleTools, config, previous);
    if (options.ipBlackholeRoute()) {
      addBlackholeRoutes(netlink, lease);
    }
    writeSubnetFile(subnetFile, config, net);
    // Upstream's readiness contract: ready as soon as the CNI plugin can read subnet.env.
    readiness.markReady();

    net.start();
    // A full GC after the first (complete) peer pass and after update storms returns garbage
    // the old generation would otherwise keep (decisions 0830 and 0832); the C heap's pages
    // that the start-up or the storm freed go back to the kernel right after it (0854).
    watchPeers(subnets, new CompactingNetwork(net, Daemon::collectAndTrim, Runtime.getRuntime()::totalMemory,
        System::nanoTime, this::scheduleQuietly, COMPACT_AFTER_QUIET.toNanos()));
    scheduleRenewal(subnets);
    try {
      subnets.markNetworkReady();
    } catch (SubnetException e) {
      // Pods can already use the network; a failed condition update is logged, not fatal.
      LOG.warn("could not mark the node's network ready: {}", e.getMessage());
    }
    LOG.info("flanneld is ready: subnet.env written to {}", options.subnetFile());
  }

  /** Blocks until the daemon should stop; returns the exit status. */
  public int awaitExit() throws InterruptedException {
    try {
      return exit.get();
    } catch (java.util.concurrent.ExecutionException e) {
      return 1;
    }
  }

  /** Asks the run loop to end with {@code status}. */
  public void stop(int status) {
    exit.complete(status);
  }

  private Optional<SubnetEnv> readPrevious(SubnetFile file) throws FatalException {
    try {
      return file.read();
    } catch (IOException e) {
      // A corrupt previous file only loses the "reuse my old subnet" hint.
      LOG.warn("ignoring previous {}: {}", file.path(), e.getMessage());
      return Optional.empty();
    }
  }

  /** The store's subnet manager and the network config read from it. */
  private record Store(SubnetManager subnets, NetworkConfig config) {
  }

  /** Waits for the store thread; its resources join ours (in their order) whatever the outcome. */
  private Store joinStore(CompletableFuture<Store> store, Deque<AutoCloseable> owned) throws FatalException {
    try {
      return store.join();
    } catch (java.util.concurrent.CompletionException e) {
      if (e.getCause() instanceof FatalException f) {
        throw f;
      }
      if (e.getCause() instanceof Error err) {
        throw err;
      }
      throw e.getCause() instanceof RuntimeException r ? r : e;
    } finally {
      for (AutoCloseable c = owned.pollLast(); c != null; c = owned.pollLast()) {
        resources.push(c);
      }
    }
  }

  private static void closeAll(Deque<AutoCloseable> owned) {
    for (AutoCloseable c = owned.pollFirst(); c != null; c = owned.pollFirst()) {
      try {
        c.close();
      } catch (Exception e) {
        LOG.debug("closing {} failed", c, e);
      }
    }
  }

  /** Creates the store's subnet manager; what it opens goes into {@code owned} (closed in reverse). */
  private SubnetManager subnetManager(SubnetEnv previous, Deque<AutoCloseable> owned) throws FatalException {
    if (options.kube().enabled()) {
      NetworkConfig cfg = kubeNetworkConfig();
      KubernetesClient client;
      try {
        client = KubeClients.create(options.kube().apiUrl(), options.kube().kubeconfigFile());
      } catch (SubnetException e) {
        throw new FatalException(e.getMessage(), e);
      }
      // The manager borrows the client; closed after it (resources close in reverse order).
      owned.push(client);
      KubeOptions kopts;
      try {
        kopts = KubeOptions.fromEnvironment(env)
            .withAnnotationPrefix(options.kube().annotationPrefix())
            .withSetNodeNetworkUnavailable(options.kube().setNodeNetworkUnavailable());
      } catch (IllegalArgumentException e) {
        throw new FatalException(e.getMessage(), e);
      }
      try {
        return KubeSubnetManager.create(client, cfg, env, kopts);
      } catch (SubnetException e) {
        throw new FatalException(e.getMessage(), e);
      }
    }
    FlanneldOptions.Etcd e = options.etcd();
    try {
      EtcdOptions eo = EtcdOptions.of(e.endpoints())
          .withPrefix(e.prefix())
          .withTls(e.keyFile(), e.certFile(), e.caFile())
          .withCredentials(e.username(), e.password())
          .withLease(EtcdOptions.DEFAULT_TTL, options.subnetLeaseRenewMargin());
      return new EtcdSubnetManager(eo, previous);
    } catch (SubnetException | IllegalArgumentException ex) {
      throw new FatalException(ex.getMessage(), ex);
    }
  }

  private NetworkConfig kubeNetworkConfig() throws FatalException {
    var path = options.kube().netConfigPath();
    String json;
    try {
      // Checked before reading so a runaway file (a log redirected by mistake) is not loaded.
      long size = Files.size(path);
      if (size > NetworkConfigParser.MAX_CONFIG_CHARS) {
        throw new FatalException("network config " + path + " is too large: " + size
            + " bytes, the limit is " + NetworkConfigParser.MAX_CONFIG_CHARS);
      }
      json = Files.readString(path, StandardCharsets.UTF_8);
    } catch (java.nio.charset.MalformedInputException e) {
      throw new FatalException("network config " + path + " is not valid UTF-8", e);
    } catch (IOException e) {
      throw new FatalException("cannot read network config " + path + ": " + e.getMessage(), e);
    }
    try {
      return NetworkConfigParser.parseForKube(json);
    } catch (SubnetException e) {
      throw new FatalException("network config " + path + ": " + e.getMessage(), e);
    }
  }

  private NetworkConfig networkConfig(SubnetManager subnets) throws FatalException {
    try {
      return subnets.networkConfig();
    } catch (SubnetException e) {
      throw new FatalException(e.getMessage(), e);
    }
  }

  private ExternalInterface externalInterface(Netlink netlink, SubnetManager subnets,
      NetworkConfig config) throws FatalException {
    FlanneldOptions.Iface o = options.iface();
    Optional<InetAddress> publicIp = o.publicIp();
    Optional<InetAddress> publicIpv6 = o.publicIpv6();
    if (subnets instanceof KubeSubnetManager kube) {
      try {
        // The node-public-ip annotation stands in for --public-ip when the flag is absent.
        if (publicIp.isEmpty() && config.enableIpv4()) {
          publicIp = kube.nodePublicIp();
        }
        if (publicIpv6.isEmpty() && config.enableIpv6()) {
          publicIpv6 = kube.nodePublicIpv6();
        }
      } catch (SubnetException e) {
        throw new FatalException(e.getMessage(), e);
      }
    }
    InterfaceSelector selector = new InterfaceSelector(new NetlinkInventory(netlink));
    List<java.util.regex.Pattern> regexes = o.patterns();
    InterfaceSelector.Selection v4 = null;
    InterfaceSelector.Selection v6 = null;
    try {
      if (config.enableIpv4()) {
        v4 = selector.select(new InterfaceSelector.Request(false, o.names(), regexes, o.canReach(), publicIp));
      }
      if (config.enableIpv6()) {
        v6 = selector.select(new InterfaceSelector.Request(true, o.names(), regexes, o.canReach(), publicIpv6));
      }
    } catch (InterfaceSelectionException e) {
      throw new FatalException(e.getMessage(), e);
    }
    InterfaceSelector.Selection main = v4 != null ? v4 : v6;
    if (main.iface().mtu() <= 0) {
      throw new FatalException("interface " + main.iface().name() + " reports MTU " + main.iface().mtu());
    }
    InetAddress ifaceAddr = v4 == null ? null : v4.address();
    InetAddress ifaceV6 = v6 == null ? null : v6.address();
    try {
      return new ExternalInterface(main.iface().name(), main.iface().index(), ifaceAddr, ifaceV6,
          v4 == null ? null : publicIp.orElse(ifaceAddr),
          v6 == null ? null : publicIpv6.orElse(ifaceV6),
          main.iface().mtu());
    } catch (IllegalArgumentException e) {
      throw new FatalException(e.getMessage(), e);
    }
  }

  private void setUpRules(RuleTools tools, NetworkConfig config, Optional<SubnetEnv> previous) throws FatalException {
    FlanneldOptions.Rules flags = options.rules();
    boolean randomFully = flags.ipMasq() && !flags.randomFullyDisabled() && tools.randomFullySupported();
    RulePlan plan = RulePlan.of(flags, nets(config.network(), lease.subnet()),
        nets(config.ipv6Network(), lease.ipv6Subnet()), randomFully);
    TrafficRules rules = tools.create(plan);
    try {
      tools.removeOtherMode();
      if (previous.isPresent()) {
        SubnetEnv p = previous.get();
        RulePlan old = RulePlan.of(flags, nets(p.network(), p.subnet()),
            nets(p.ipv6Network(), p.ipv6Subnet()), randomFully).withMasquerade(p.ipMasq());
        if (!old.families().equals(plan.families())) {
          LOG.info("removing {} rules of the previous network {} / subnet {}", rules.kind(),
              p.network(), p.subnet());
          rules.removeStale(old);
        }
      }
      if (!plan.masquerade() && !plan.forward()) {
        return;
      }
      rules.apply();
    } catch (RuntimeException e) {
      throw new FatalException("failed to set up " + rules.kind() + " rules: " + e.getMessage(), e);
    }
    LOG.info("{} rules installed (masquerade {}, forward {})", rules.kind(), plan.masquerade(),
        plan.forward());
    resources.push(RuleResync.start(rules, flags.resyncPeriod(), metrics));
  }

  private static Optional<FamilyNets> nets(IpNet network, IpNet subnet) {
    return network != null && subnet != null
        ? Optional.of(new FamilyNets(network, subnet)) : Optional.empty();
  }

  private void addBlackholeRoutes(Netlink netlink, Lease l) throws FatalException {
    for (IpNet s : new IpNet[] {l.subnet(), l.ipv6Subnet()}) {
      if (s == null) {
        continue;
      }
      IpNet n = s.network();
      try {
        netlink.routeReplace(Route.blackhole(n.address(), n.prefixLength()));
        LOG.info("blackhole route for {} installed", n);
      } catch (NetlinkException e) {
        throw new FatalException("failed to add the blackhole route for " + n + ": " + e.getMessage(), e);
      }
    }
  }

  private void writeSubnetFile(SubnetFile file, NetworkConfig config, Network net) throws FatalException {
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

  private void watchPeers(SubnetManager subnets, Network net) throws FatalException {
    LeaseWatcher watcher = new LeaseWatcher(lease);
    // The store's watch thread only folds events into the watcher; passes run on their own
    // thread, one at a time, each with the newest peer set. A burst of N events therefore
    // costs a few passes instead of N, and no backlog of events piles up in memory while a
    // pass runs (docs/decisions/0802).
    AtomicBoolean dirty = new AtomicBoolean();
    ExecutorService passes = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "jfl-peer-sync");
      t.setDaemon(true);
      return t;
    });
    resources.push(passes::shutdownNow);
    Runnable sync = () -> {
      if (dirty.getAndSet(false)) {
        net.reconcile(watcher.peersByKey()); // LeaseWatcher is thread-safe
      }
    };
    try {
      resources.push(subnets.watchLeases(new LeaseSink() {
        @Override
        public void onEvents(List<LeaseEvent> events) {
          List<LeaseEvent> changes = watcher.apply(events);
          logPeerChanges(changes);
          if (!changes.isEmpty() && !dirty.getAndSet(true)) {
            passes.execute(sync);
          }
        }

        @Override
        public void onOwnLeaseLost(Lease own) {
          LOG.info("own lease {} was deleted from the store; exiting", own.key());
          stop(0);
        }
      }));
    } catch (SubnetException e) {
      throw new FatalException("failed to watch peer leases: " + e.getMessage(), e);
    }
  }

  /**
   * One line per peer change, as upstream logs them; a large batch (the first listing, a
   * re-list) gets one summary line instead and the per-peer lines go to debug: 5,000 lines on
   * the console would cost a cold start hundreds of milliseconds.
   */
  private static void logPeerChanges(List<LeaseEvent> changes) {
    boolean each = changes.size() <= PEER_LOG_BATCH;
    for (LeaseEvent ev : changes) {
      if (each || LOG.isDebugEnabled()) {
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
      long added = changes.stream().filter(ev -> ev instanceof LeaseEvent.Added).count();
      LOG.info("{} peers added or changed, {} removed (per-peer lines at debug level)", added,
          changes.size() - added);
    }
  }

  private void scheduleRenewal(SubnetManager subnets) {
    if (lease.expiration() == null || !(subnets instanceof EtcdSubnetManager etcd)) {
      return;
    }
    Instant at = etcd.renewAt(lease);
    long delay = Math.max(0, Duration.between(Instant.now(), at).toMillis());
    LOG.info("lease expires at {}, renewing at {}", lease.expiration(), at);
    timers.schedule(() -> renew(etcd), delay, TimeUnit.MILLISECONDS);
  }

  private void renew(EtcdSubnetManager etcd) {
    try {
      lease = etcd.renewLease(lease);
      metrics.leaseRenewal(true);
      LOG.info("lease renewed, new expiration {}", lease.expiration());
      scheduleRenewal(etcd);
    } catch (SubnetException | RuntimeException e) {
      metrics.leaseRenewal(false);
      LOG.error("lease renewal failed, retrying in {}: {}", RENEW_RETRY, e.getMessage());
      timers.schedule(() -> renew(etcd), RENEW_RETRY.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  private static String text(InetAddress a) {
    return a == null ? "-" : IpNet.format(a);
  }

  private void scheduleQuietly(Runnable task, long delayNanos) {
    try {
      timers.schedule(task, delayNanos, TimeUnit.NANOSECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // stopping: nothing left to compact for
    }
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
