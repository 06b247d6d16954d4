package io.jflannel.lab;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running lab: the underlay, the store, one real flanneld per node and the pods. The lab
 * command and the end-to-end suite both drive flannel through this class.
 */
public final class LabCluster implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LabCluster.class);
  /** How long a daemon may take to write subnet.env (JVM start on a busy 2-core machine). */
  public static final Duration DAEMON_START = Duration.ofSeconds(90);
  /** Where kubelet shows a pod the kube-flannel ConfigMap (the DaemonSet's mount path). */
  public static final String CONFIG_MAP_DIR = "/etc/kube-flannel";
  /** The node's CNI config folder, which the container runtime reads. */
  public static final String CNI_CONF_DIR = "/etc/cni/net.d";
  /** The conflist the install-cni step writes there. */
  public static final String CNI_CONFLIST = "10-flannel.conflist";
  /** The capabilities kube-flannel's DaemonSet adds to the flanneld container. */
  public static final List<String> CAPABILITIES = List.of("NET_ADMIN", "NET_RAW");

  private final LabSpec spec;
  private final Path workDir;
  private final LabState state;
  private final Underlay underlay;
  private final ClusterStore store;
  private final CniAttacher cni;
  private final Map<Integer, Member> members = new TreeMap<>();
  private final PrintStream progress;
  private int nextIndex = 1;
  private boolean closed;

  /** A node of the cluster with its daemon, its pods and the subnet it got. */
  private static final class Member {
    final LabNode node;
    final FlanneldProcess daemon;
    final List<Pod> pods = new ArrayList<>();
    SubnetEnv env;
    Duration startup = Duration.ZERO;
    // False only while the lab itself keeps the daemon down (killDaemon); a daemon that is
    // down otherwise has crashed, and convergence checks must say so.
    volatile boolean wantRunning;

    Member(LabNode node, FlanneldProcess daemon) {
      this.node = node;
      this.daemon = daemon;
    }
  }

  private LabCluster(LabSpec spec, Path workDir, LabState state, PrintStream progress) {
    this.spec = spec;
    this.workDir = workDir;
    this.state = state;
    this.progress = progress;
    this.underlay = new Underlay(spec, state);
    this.store = spec.store() == LabStoreKind.ETCD ? new EtcdStore(spec, state, workDir)
        : new KubeStore(spec, state, workDir);
    this.cni = new CniAttacher(spec.cniPath(), workDir.resolve("ipam"));
  }

  /**
   * Brings a lab up: removes what an earlier lab of the same name left, creates the underlay,
   * starts the store, then the nodes with their daemons and pods. On failure everything
   * created so far is removed and the error (with the daemon's log tail) is thrown.
   */
  public static LabCluster up(LabSpec spec, PrintStream progress) {
    for (String line : LabJanitor.clean(spec.stateDir(), spec.name())) {
      progress.println("cleanup of an earlier lab: " + line);
    }
    if (spec.fromImage()) {
      if (!Podman.imageExists(spec.image())) {
        throw new LabException("image " + spec.image()
            + " is not in podman's local storage; build it with: scripts/image.sh");
      }
    } else if (!Files.isExecutable(spec.flanneld())) {
      throw new LabException("flanneld launcher " + spec.flanneld()
          + " is missing or not executable; build with: mvn -B -q install -DskipTests");
    }
    Path workDir;
    try {
      workDir = Files.createTempDirectory(LabJanitor.WORK_DIR_PREFIX + spec.name() + "-");
      Files.createDirectories(workDir.resolve("ipam"));
    } catch (IOException e) {
      throw new LabException("cannot create the lab's work directory: " + e.getMessage(), e);
    }
    LabState state = LabState.create(spec.stateDir(), spec.name(), workDir);
    LabCluster lab = new LabCluster(spec, workDir, state, progress);
    try {
      lab.start();
      return lab;
    } catch (RuntimeException e) {
      try {
        lab.close();
      } catch (RuntimeException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }

  private void start() {
    progress.println("underlay: switch " + spec.switchNetns() + " (" + Underlay.SWITCH_IP + "/"
        + Underlay.PREFIX + " on " + Underlay.BRIDGE + ")");
    underlay.create();
    progress.println("store: " + store.describe());
    store.start();
    List<Member> fresh = new ArrayList<>();
    for (int i = 0; i < spec.nodes(); i++) {
      fresh.add(createMember());
    }
    progress.println("starting flanneld on " + fresh.size() + " node(s)");
    awaitAll(fresh.stream().map(m -> (Runnable) () -> startAndWait(m, null)).toList());
    for (Member m : fresh) {
      attachPods(m);
    }
  }

  private Member createMember() {
    int index = nextIndex++;
    Path dir = workDir.resolve("n" + index);
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new LabException("cannot create " + dir + ": " + e.getMessage(), e);
    }
    LabNode node = underlay.addNode(index, dir);
    store.nodeJoining(node);
    installNodeFiles(node);
    FlanneldProcess daemon;
    if (spec.fromImage()) {
      List<String> args = new ArrayList<>(store.daemonArgs(node));
      args.addAll(List.of("--ip-masq", "--healthz-port", "0", "--iface", Underlay.NODE_IFACE));
      args.addAll(spec.extraDaemonArgs());
      Path cidFile = dir.resolve("flanneld.cid");
      daemon = new FlanneldProcess(node, Podman.command(daemonContainer(node, cidFile, args)),
          Podman.env(), state, cidFile);
    } else {
      List<String> cmd = new ArrayList<>(Exec.inNetns(node.netns(), spec.flanneld().toString()));
      cmd.addAll(store.daemonArgs(node));
      cmd.addAll(List.of("--subnet-file", node.subnetFile().toString(), "--ip-masq",
          "--healthz-port", "0", "--iface", Underlay.NODE_IFACE));
      cmd.addAll(spec.extraDaemonArgs());
      daemon = new FlanneldProcess(node, cmd, store.daemonEnv(node), state);
    }
    Member m = new Member(node, daemon);
    synchronized (members) {
      members.put(index, m);
    }
    return m;
  }

  /**
   * The node's own files, as kube-flannel's DaemonSet finds and leaves them on a node: the
   * ConfigMap's keys in {@value #CONFIG_MAP_DIR} (kubelet's view of the configMap volume),
   * {@code /run/flannel} and {@code /run/xtables.lock} (hostPath volumes), and the conflist
   * in the CNI config folder, put there by the install-cni step: from the image, that step
   * itself ({@code /opt/bin/install-conf} in a container, as the DaemonSet's init container
   * runs it); otherwise a plain copy standing in for it.
   */
  private void installNodeFiles(LabNode node) {
    try {
      Path cfg = Files.createDirectories(node.hostPath(CONFIG_MAP_DIR));
      Files.writeString(cfg.resolve("cni-conf.json"), FlannelCniDelegate.KUBE_FLANNEL_CNI_CONF);
      Files.writeString(cfg.resolve("net-conf.json"), spec.netConfJson() + "\n");
      Files.createDirectories(node.hostPath("/run/flannel"));
      Path lock = node.hostPath("/run/xtables.lock");
      if (!Files.exists(lock)) {
        Files.createFile(lock);
      }
      Path netD = Files.createDirectories(node.hostPath(CNI_CONF_DIR));
      if (!spec.fromImage()) {
        Files.copy(cfg.resolve("cni-conf.json"), netD.resolve(CNI_CONFLIST),
            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        return;
      }
    } catch (IOException e) {
      throw new LabException("cannot lay out the files of node " + node.name() + ": " + e.getMessage(), e);
    }
    List<String> installCni = new ArrayList<>(List.of("run", "--rm", "--pull", "never",
        "--network", "ns:/run/netns/" + node.netns(),
        "--volume", node.hostPath(CNI_CONF_DIR) + ":" + CNI_CONF_DIR,
        "--volume", node.hostPath(CONFIG_MAP_DIR) + ":" + CONFIG_MAP_DIR + ":ro",
        "--entrypoint", "/opt/bin/install-conf", spec.image(),
        CONFIG_MAP_DIR + "/cni-conf.json", CNI_CONF_DIR + "/" + CNI_CONFLIST));
    Exec.Result r = Podman.run(Duration.ofSeconds(120), installCni.toArray(String[]::new));
    if (!r.ok()) {
      throw new LabException("the install-cni step on " + node.name() + " failed (exit " + r.exit()
          + "): podman " + String.join(" ", installCni) + "\n" + r.stdout() + r.stderr());
    }
  }

  /**
   * {@code podman run} of the node's flanneld from the image as the DaemonSet runs it: in the
   * node's network namespace (hostNetwork), with the capabilities the manifest adds, the node's
   * {@code /run/flannel}, ConfigMap folder (read-only) and {@code /run/xtables.lock} mounted at
   * the DaemonSet's mount paths, and the store's environment.
   */
  private List<String> daemonContainer(LabNode node, Path cidFile, List<String> args) {
    List<String> cmd = new ArrayList<>(List.of("run", "--rm", "--pull", "never", "--cidfile",
        cidFile.toString(), "--network", "ns:/run/netns/" + node.netns()));
    for (String cap : CAPABILITIES) {
      cmd.addAll(List.of("--cap-add", cap));
    }
    cmd.addAll(List.of(
        "--volume", node.hostPath("/run/flannel") + ":/run/flannel",
        "--volume", node.hostPath(CONFIG_MAP_DIR) + ":" + CONFIG_MAP_DIR + ":ro",
        "--volume", node.hostPath("/run/xtables.lock") + ":/run/xtables.lock"));
    store.daemonEnv(node).forEach((k, v) -> cmd.addAll(List.of("--env", k + "=" + v)));
    cmd.add(spec.image());
    cmd.addAll(args);
    return cmd;
  }

  private void startAndWait(Member m, Object previousSubnetFile) {
    long t0 = System.nanoTime();
    m.wantRunning = true;
    m.daemon.start();
    m.env = m.daemon.awaitSubnetFile(previousSubnetFile, DAEMON_START);
    m.startup = Duration.ofNanos(System.nanoTime() - t0);
  }

  /** How long the node's daemon took from start to writing subnet.env, last time it started. */
  public Duration startupTime(LabNode node) {
    return member(node.index()).startup;
  }

  /** Resident memory of a running daemon in KiB, from /proc, or -1. */
  public long daemonRssKib(LabNode node) {
    long pid = daemon(node).pid();
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
    return -1;
  }

  /**
   * Attaches the node's pods as the container runtime would: with the conflist in the node's
   * CNI config folder, whose flannel entry reads the subnet.env the daemon wrote on the node.
   */
  private void attachPods(Member m) {
    Path conflistFile = m.node.hostPath(CNI_CONF_DIR + "/" + CNI_CONFLIST);
    JsonNode conflist;
    SubnetEnv env;
    try {
      conflist = FlannelCniDelegate.parse(Files.readString(conflistFile), conflistFile.toString());
    } catch (IOException e) {
      throw new LabException("no CNI config on " + m.node.name() + ": " + e.getMessage(), e);
    }
    env = SubnetEnv.read(m.node.hostPath(FlannelCniDelegate.subnetFile(conflist)));
    for (int p = 1; p <= spec.podsPerNode(); p++) {
      String ns = spec.podNetns(m.node.index(), p);
      underlay.addNamespace(ns);
      m.pods.add(cni.attach(m.node, m.node.name() + "-p" + p, ns, env, conflist));
    }
  }

  /** The lab's spec. */
  public LabSpec spec() {
    return spec;
  }

  /** The store. */
  public ClusterStore store() {
    return store;
  }

  /** The lab's temporary directory. */
  public Path workDir() {
    return workDir;
  }

  /** The lab's state file. */
  public Path stateFile() {
    return state.file();
  }

  /** The current member nodes, by index. */
  public List<LabNode> nodes() {
    synchronized (members) {
      return members.values().stream().map(m -> m.node).toList();
    }
  }

  /** Node {@code index}. */
  public LabNode node(int index) {
    return member(index).node;
  }

  /** Every pod of every member, node by node. */
  public List<Pod> pods() {
    synchronized (members) {
      return members.values().stream().flatMap(m -> m.pods.stream()).toList();
    }
  }

  /** The pods of one node. */
  public List<Pod> pods(LabNode node) {
    return List.copyOf(member(node.index()).pods);
  }

  /** The daemon of a node. */
  public FlanneldProcess daemon(LabNode node) {
    return member(node.index()).daemon;
  }

  /** The subnet.env the node's daemon last wrote. */
  public SubnetEnv subnetEnv(LabNode node) {
    return member(node.index()).env;
  }

  /** A node's subnet in network form, e.g. {@code 10.244.3.0/24}. */
  public String subnet(LabNode node) {
    return subnetEnv(node).subnetBlock().orElseThrow().toString();
  }

  /**
   * Adds a node while the others keep running: registers it, starts its daemon, waits for
   * its subnet.env and attaches its pods.
   */
  public LabNode addNode() {
    Member m = createMember();
    startAndWait(m, null);
    attachPods(m);
    progress.println("added node " + m.node.name() + " with subnet " + subnet(m.node));
    return m.node;
  }

  /**
   * Removes a node from the cluster: deletes it from the store (etcd lease key or Node
   * object), stops its daemon, and deletes its pods and namespace.
   */
  public void removeNode(LabNode node) {
    Member m = member(node.index());
    m.wantRunning = false;
    store.nodeLeaving(node, subnet(node));
    m.daemon.stop();
    for (Pod p : m.pods) {
      underlay.removeNamespace(p.netns());
    }
    underlay.removeNode(node);
    synchronized (members) {
      members.remove(node.index());
    }
    progress.println("removed node " + node.name());
  }

  /** Stops a node's daemon with SIGTERM and starts it again; returns once it rewrote subnet.env. */
  public void restartDaemon(LabNode node) {
    Member m = member(node.index());
    Object before = FlanneldProcess.subnetFileVersion(node.subnetFile());
    m.wantRunning = false;
    m.daemon.stop();
    startAndWait(m, before);
  }

  /** Kills a node's daemon with SIGKILL (its dataplane stays as it was). */
  public void killDaemon(LabNode node) {
    Member m = member(node.index());
    m.wantRunning = false;
    m.daemon.kill();
  }

  /** Throws if a daemon the lab did not stop has exited (a crash), naming it with its log. */
  public void assertDaemonsAlive() {
    List<Member> all;
    synchronized (members) {
      all = List.copyOf(members.values());
    }
    for (Member m : all) {
      if (m.wantRunning && !m.daemon.running()) {
        throw new LabException("flanneld on " + m.node.name() + " exited unexpectedly\n"
            + m.daemon.logTail(30));
      }
    }
  }

  /** Starts a stopped daemon; returns once it rewrote subnet.env. */
  public void startDaemon(LabNode node) {
    startAndWait(member(node.index()), FlanneldProcess.subnetFileVersion(node.subnetFile()));
  }

  /** The peer state every running member should hold, given the other members. */
  public PeerDataplane expectedOn(LabNode node) {
    List<PeerDataplane.Peer> peers = new ArrayList<>();
    for (LabNode other : nodes()) {
      if (other.index() != node.index()) {
        Optional<String> mac = spec.backend() == LabBackend.VXLAN
            ? PeerDataplane.vtepMac(other.netns()) : Optional.empty();
        peers.add(new PeerDataplane.Peer(subnet(other), other.underlayIp(), mac));
      }
    }
    return PeerDataplane.expected(spec.backend(), peers);
  }

  /** What a node holds now. */
  public PeerDataplane observedOn(LabNode node) {
    return PeerDataplane.observed(node.netns(), spec.backend(), spec.network());
  }

  /**
   * Waits until every member whose daemon runs holds exactly the peer state of the other
   * members (nothing missing, nothing stale); throws with the differences otherwise, or at
   * once when a daemon has crashed. Returns how long it took (checks run every 250 ms).
   */
  public Duration awaitConverged(Duration limit) {
    long start = System.nanoTime();
    long deadline = start + limit.toNanos();
    while (true) {
      assertDaemonsAlive();
      StringBuilder diff = new StringBuilder();
      for (LabNode n : nodes()) {
        if (!daemon(n).running()) {
          continue;
        }
        String d = observedOn(n).diff(expectedOn(n));
        if (!d.isEmpty()) {
          diff.append(n.name()).append(":\n").append(d);
        }
      }
      if (diff.length() == 0) {
        return Duration.ofNanos(System.nanoTime() - start);
      }
      if (System.nanoTime() > deadline) {
        throw new LabException("the nodes did not converge within " + limit.toSeconds() + " s:\n"
            + diff);
      }
      EtcdStore.sleep(250);
    }
  }

  /** Every pod pings every other pod. */
  public ReachabilityMatrix reachability() {
    return Reachability.matrix(pods(), 3);
  }

  /** Tables of nodes and pods. */
  public String table() {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format("%-6s %-14s %-18s %-8s %-8s %-8s %s%n", "NODE", "UNDERLAY IP",
        "SUBNET", "PID", "READY", "RSS", "NAMESPACE"));
    for (LabNode n : nodes()) {
      boolean up = daemon(n).running();
      long rss = up ? daemonRssKib(n) : -1;
      sb.append(String.format("%-6s %-14s %-18s %-8s %-8s %-8s %s%n", n.name(), n.underlayIp(),
          subnet(n), up ? Long.toString(daemon(n).pid()) : "-",
          String.format(java.util.Locale.ROOT, "%.1fs", startupTime(n).toMillis() / 1000.0),
          rss < 0 ? "-" : (rss / 1024) + "MB", n.netns()));
    }
    sb.append("READY: daemon start to subnet.env written; RSS: daemon resident memory\n");
    sb.append('\n');
    sb.append(String.format("%-8s %-6s %-14s %s%n", "POD", "NODE", "IP", "NAMESPACE"));
    for (Pod p : pods()) {
      sb.append(String.format("%-8s %-6s %-14s %s%n", p.name(), "n" + p.node(), p.ip(), p.netns()));
    }
    return sb.toString();
  }

  /**
   * Leaves everything running and the state file in place (for {@code --keep}); the lab is
   * removed later with {@code lab down}.
   */
  public void detach() {
    closed = true;
  }

  /** Stops every daemon and the store, deletes every namespace and the work directory. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    synchronized (members) {
      members.values().forEach(m -> m.wantRunning = false);
    }
    List<RuntimeException> errors = new ArrayList<>();
    List<Member> all;
    synchronized (members) {
      all = List.copyOf(members.values());
    }
    try {
      awaitAll(all.stream().map(m -> (Runnable) m.daemon::stop).toList());
    } catch (RuntimeException e) {
      errors.add(e);
    }
    try {
      store.close();
    } catch (RuntimeException e) {
      errors.add(e);
    }
    try {
      LabJanitor.clean(spec.stateDir(), spec.name());
    } catch (RuntimeException e) {
      errors.add(e);
    }
    if (!errors.isEmpty()) {
      RuntimeException first = errors.get(0);
      errors.subList(1, errors.size()).forEach(first::addSuppressed);
      throw first;
    }
    LOG.debug("lab {} removed", spec.name());
  }

  private Member member(int index) {
    synchronized (members) {
      Member m = members.get(index);
      if (m == null) {
        throw new LabException("no node n" + index + " in lab " + spec.name());
      }
      return m;
    }
  }

  private static void awaitAll(List<Runnable> tasks) {
    if (tasks.isEmpty()) {
      return;
    }
    ExecutorService pool = Executors.newFixedThreadPool(tasks.size());
    try {
      List<Future<?>> fs = tasks.stream().<Future<?>>map(pool::submit).toList();
      LabException failure = null;
      for (Future<?> f : fs) {
        try {
          f.get();
        } catch (java.util.concurrent.ExecutionException e) {
          Throwable c = e.getCause();
          LabException le = c instanceof LabException l ? l : new LabException(c.toString(), c);
          if (failure == null) {
            failure = le;
          } else {
            failure.addSuppressed(le);
          }
        }
      }
      if (failure != null) {
        throw failure;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new LabException("interrupted", e);
    } finally {
      pool.shutdownNow();
    }
  }
}
