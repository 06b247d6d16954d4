package io.jflannel.lab.bench;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import io.jflannel.lab.kube.KubeApiMock;
import io.jflannel.netlink.Netlink;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * One benchmark node with the Kubernetes store: the lab's fabric8 API mock
 * ({@link KubeApiMock}, CRUD mode with the node-status dispatcher) as its own JVM on
 * 127.0.0.1, and flanneld with {@code --kube-subnet-mgr} running as node {@link #NODE}, all in
 * the network namespace the bench script created (underlay {@code eth0} 192.0.2.1/24).
 * Fake peers are Node objects {@code peer-NNNNN} carrying the flannel annotations a vxlan
 * flanneld writes, with the same subnets, public IPs and VTEP MACs as the etcd bench's leases.
 */
final class KubeBenchNode implements AutoCloseable {
  static final int PORT = 6443;
  static final String URL = "http://127.0.0.1:" + PORT;
  /** The node flanneld runs as (its podCIDR is outside the peers' 10.128.0.0/9). */
  static final String NODE = "bench-node";
  static final String NODE_CIDR = "10.1.0.0/24";
  /** The daemon's own pod, as the DaemonSet runs it: flanneld finds its node through it. */
  static final String POD = "kube-flannel-ds-bench";
  static final String POD_NAMESPACE = "kube-flannel";
  static final String PREFIX = "flannel.alpha.coreos.com/";

  final Path work;
  final Path flanneld;
  final Netlink netlink;
  final KubernetesClient client;
  private final Process mock;
  private final Path netConf;
  private Process daemon;

  KubeBenchNode(Path work, Path flanneld, String classpath) throws Exception {
    this.work = work;
    this.flanneld = flanneld;
    this.netConf = work.resolve("net-conf.json");
    Files.writeString(netConf, "{\"Network\":\"" + BenchNode.NETWORK + "\",\"Backend\":{\"Type\":\"vxlan\"}}\n");
    // The JVM flags the lab's KubeStore gives the mock, and no per-request log line: the mock
    // server logs every request through java.util.logging (a stack walk and a write each),
    // which would add to every create while populating and to the daemon's requests.
    Path jul = work.resolve("mock-logging.properties");
    Files.writeString(jul, "handlers=java.util.logging.ConsoleHandler\n.level=WARNING\n");
    String java = ProcessHandle.current().info().command().orElse("java");
    mock = new ProcessBuilder(java, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k",
        "-Djava.util.logging.config.file=" + jul, "-cp", classpath,
        KubeApiMock.class.getName(), "127.0.0.1", Integer.toString(PORT))
        .redirectErrorStream(true).redirectOutput(work.resolve("kube-api.log").toFile()).start();
    Files.writeString(work.resolve("pids"), mock.pid() + "\n");
    // Its stdout goes to the log (logging may write there too, and an undrained pipe would
    // block it); the mock prints a READY line once listening.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (Files.readAllLines(work.resolve("kube-api.log")).stream().noneMatch(l -> l.startsWith("READY"))) {
      if (!mock.isAlive() || System.nanoTime() > deadline) {
        throw new IllegalStateException("kube API mock did not start; see " + work.resolve("kube-api.log"));
      }
      Thread.sleep(50);
    }
    client = new KubernetesClientBuilder().withConfig(Config.empty()).editOrNewConfig().withMasterUrl(URL)
        .withRequestTimeout(60_000).endConfig().withHttpClientFactory(new JdkHttpClientFactory()).build();
    client.nodes().resource(node(NODE, NODE_CIDR, "192.0.2.1", false, 0)).create();
    client.pods().inNamespace(POD_NAMESPACE).resource(new io.fabric8.kubernetes.api.model.PodBuilder()
        .withNewMetadata().withName(POD).withNamespace(POD_NAMESPACE).addToLabels("app", "flannel").endMetadata()
        .withNewSpec().withNodeName(NODE).withHostNetwork(true).withServiceAccountName("flannel")
        .addNewContainer().withName("kube-flannel").withImage("jflannel:bench")
        .withArgs("--ip-masq", "--kube-subnet-mgr").endContainer().endSpec().build()).create();
    netlink = Netlink.open();
  }

  /** Peer i's name. */
  static String peerName(int i) {
    return String.format("peer-%05d", i);
  }

  /** Peer i's public IP: 198.18.(i/256).(i%256), as in the etcd bench. */
  static String peerIp(int i) {
    return "198.18." + (i >> 8 & 0xff) + "." + (i & 0xff);
  }

  /** Peer i's VTEP MAC, the same one {@link BenchNode#peerValue} gives its etcd lease. */
  static String peerMac(int i) {
    return peerMac(i, 0);
  }

  /** Peer i's VTEP MAC after {@code gen} restarts (generation 0: as created). */
  static String peerMac(int i, int gen) {
    String v = BenchNode.peerValue(i, gen);
    int at = v.indexOf("VtepMAC\":\"") + 10;
    return v.substring(at, v.indexOf('"', at));
  }

  /**
   * A Node as the kubelet registers it; a peer also carries the annotations its flanneld wrote
   * (backend-type, backend-data, public-ip, kube-subnet-manager).
   */
  static Node node(String name, String podCidr, String internalIp, boolean peer, int i) {
    NodeBuilder b = new NodeBuilder().withNewMetadata().withName(name)
        .addToLabels("kubernetes.io/hostname", name).addToLabels("kubernetes.io/os", "linux")
        .endMetadata()
        .withNewSpec().withPodCIDR(podCidr).withPodCIDRs(podCidr).endSpec()
        .withNewStatus()
        .addNewAddress().withType("InternalIP").withAddress(internalIp).endAddress()
        .addNewAddress().withType("Hostname").withAddress(name).endAddress()
        .addNewCondition().withType("Ready").withStatus("True").withReason("KubeletReady").endCondition()
        .endStatus();
    if (peer) {
      b.editMetadata()
          .addToAnnotations(PREFIX + "backend-type", "vxlan")
          .addToAnnotations(PREFIX + "backend-data", "{\"VNI\":1,\"VtepMAC\":\"" + peerMac(i) + "\"}")
          .addToAnnotations(PREFIX + "public-ip", peerIp(i))
          .addToAnnotations(PREFIX + "kube-subnet-manager", "true")
          .endMetadata();
    }
    return b.build();
  }

  /** Creates peers [from, to) with {@code threads} requests in flight; returns the wall time in ms. */
  double createPeers(int from, int to, int threads) throws Exception {
    long t0 = System.nanoTime();
    forEachParallel(from, to, threads, i -> client.nodes()
        .resource(node(peerName(i), BenchNode.peerSubnet(i), peerIp(i), true, i)).create());
    return (System.nanoTime() - t0) / 1e6;
  }

  /**
   * Rewrites the backend-data annotation of peers [from, to) with their generation-{@code gen}
   * VTEP MAC (what a restarted peer does), {@code threads} merge patches in flight.
   */
  void updatePeers(int from, int to, int gen, int threads) throws Exception {
    forEachParallel(from, to, threads, i -> client.nodes().withName(peerName(i)).patch(
        io.fabric8.kubernetes.client.dsl.base.PatchContext.of(io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
        "{\"metadata\":{\"annotations\":{\"" + PREFIX + "backend-data\":"
            + "\"{\\\"VNI\\\":1,\\\"VtepMAC\\\":\\\"" + peerMac(i, gen) + "\\\"}\"}}}"));
  }

  /** Deletes peers [from, to), {@code threads} in flight. */
  void deletePeers(int from, int to, int threads) throws Exception {
    forEachParallel(from, to, threads, i -> client.nodes().withName(peerName(i)).delete());
  }

  private interface PeerOp {
    void apply(int i) throws Exception;
  }

  private static void forEachParallel(int from, int to, int threads, PeerOp op) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> all = new ArrayList<>();
      for (int i = from; i < to; i++) {
        int k = i;
        all.add(pool.submit(() -> {
          op.apply(k);
          return null;
        }));
      }
      for (Future<?> f : all) {
        f.get(5, TimeUnit.MINUTES);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  Path subnetFile() {
    return work.resolve("subnet.env");
  }

  Path daemonLog() {
    return work.resolve("flanneld.log");
  }

  /** Starts flanneld as {@link #NODE}; returns System.nanoTime() just before the fork. */
  long startDaemon(String javaOpts) throws IOException {
    // As deploy/kube-flannel.yml runs it: the health endpoint on 8081 (in the bench's
    // namespace) and the node found through the own pod (POD_NAME, POD_NAMESPACE).
    List<String> cmd = List.of(flanneld.toString(), "--kube-subnet-mgr", "--kube-api-url", URL,
        "--net-config-path", netConf.toString(), "--subnet-file", subnetFile().toString(),
        "--iface", "eth0", "--ip-masq", "--healthz-port", "8081");
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(daemonLog().toFile()));
    pb.environment().put("POD_NAME", POD);
    pb.environment().put("POD_NAMESPACE", POD_NAMESPACE);
    if (!javaOpts.isBlank()) {
      pb.environment().put("JFLANNEL_JAVA_OPTS", javaOpts);
    }
    long t0 = System.nanoTime();
    daemon = pb.start();
    Files.writeString(work.resolve("pids"), daemon.pid() + "\n", StandardOpenOption.APPEND);
    return t0;
  }

  long daemonPid() {
    return daemon.pid();
  }

  void checkDaemonAlive() {
    if (daemon == null || !daemon.isAlive()) {
      String tail;
      try {
        List<String> lines = Files.readAllLines(daemonLog());
        tail = String.join("\n", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
      } catch (IOException e) {
        tail = e.toString();
      }
      // The work directory goes with the bench's namespace: the log's end is shown here.
      throw new IllegalStateException("flanneld exited; the end of its log:\n" + tail);
    }
    if (!mock.isAlive()) {
      throw new IllegalStateException("kube API mock exited; see " + work.resolve("kube-api.log"));
    }
  }

  /** SIGTERM and wait; the dataplane stays (flanneld leaves it in place). */
  void stopDaemon() throws InterruptedException {
    if (daemon != null && daemon.isAlive()) {
      daemon.destroy();
      if (!daemon.waitFor(30, TimeUnit.SECONDS)) {
        daemon.destroyForcibly().waitFor();
      }
    }
    daemon = null;
  }

  /**
   * Waits until the mock answers a GET, and returns how long that took in ms. The mock serves
   * everything from one event loop, and when a watch closes it waits there (up to about 30 s)
   * for the thread that was still sending that watch's events; a start measured during that
   * wait would time the mock, not the daemon.
   */
  double awaitMockIdle() {
    long t0 = System.nanoTime();
    client.nodes().withName(NODE).get();
    return (System.nanoTime() - t0) / 1e6;
  }

  /** Removes flannel.1 (and with it every route, neighbour and FDB entry) and subnet.env. */
  void wipeDataplane() throws Exception {
    BenchNode.wipeDataplane(netlink, subnetFile());
  }

  /** Routes on flannel.1, or -1 when the device does not exist yet. */
  int flannelRoutes() throws Exception {
    return BenchNode.flannelRoutes(netlink);
  }

  @Override
  public void close() throws Exception {
    try {
      stopDaemon();
    } finally {
      client.close();
      netlink.close();
      mock.destroy();
      if (!mock.waitFor(10, TimeUnit.SECONDS)) {
        mock.destroyForcibly();
      }
    }
  }
}
