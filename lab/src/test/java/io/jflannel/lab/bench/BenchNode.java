package io.jflannel.lab.bench;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.jflannel.netlink.Families;
import io.jflannel.netlink.Link;
import io.jflannel.netlink.Netlink;
import io.jflannel.netlink.RouteFilter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * One benchmark node: this JVM, a real etcd and flanneld all run in the network namespace the
 * bench script created (etcd on 127.0.0.1, the underlay {@code eth0} 192.0.2.1/24), so the
 * bench's etcd client and netlink dumps see exactly what the daemon sees.
 */
final class BenchNode implements AutoCloseable {
  static final String PREFIX = "/coreos.com/network";
  static final String ENDPOINT = "http://127.0.0.1:2379";
  static final String NETWORK = "10.0.0.0/8";

  final Path work;
  final Path flanneld;
  private Process etcd;
  private Process daemon;
  final Client client;
  final Netlink netlink;

  BenchNode(Path work, Path flanneld) throws Exception {
    this.work = work;
    this.flanneld = flanneld;
    Path data = work.resolve("etcd");
    Files.createDirectories(data);
    etcd = new ProcessBuilder("etcd", "--name", "bench", "--data-dir", data.toString(),
        "--listen-client-urls", ENDPOINT, "--advertise-client-urls", ENDPOINT,
        "--listen-peer-urls", "http://127.0.0.1:2380", "--initial-advertise-peer-urls", "http://127.0.0.1:2380",
        "--initial-cluster", "bench=http://127.0.0.1:2380", "--log-level", "warn", "--quota-backend-bytes", "4294967296")
        .redirectErrorStream(true).redirectOutput(work.resolve("etcd.log").toFile()).start();
    Files.writeString(work.resolve("pids"), etcd.pid() + "\n");
    client = Client.builder().endpoints(ENDPOINT).build();
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (true) {
      try {
        client.getKVClient().put(bytes(PREFIX + "/config"),
            bytes("{\"Network\":\"" + NETWORK + "\",\"Backend\":{\"Type\":\"vxlan\"}}")).get(2, TimeUnit.SECONDS);
        break;
      } catch (Exception e) {
        if (!etcd.isAlive() || System.nanoTime() > deadline) {
          throw new IllegalStateException("etcd did not start; see " + work.resolve("etcd.log"), e);
        }
        Thread.sleep(100);
      }
    }
    netlink = Netlink.open();
  }

  static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }

  /** The etcd key of fake peer i: subnet 10.(128+i/256).(i%256).0/24. */
  static String peerKey(int i) {
    return PREFIX + "/subnets/" + peerSubnet(i).replace('/', '-');
  }

  static String peerSubnet(int i) {
    return "10." + (128 + i / 256) + "." + (i % 256) + ".0/24";
  }

  /** Peer i's lease value; {@code gen} changes its VTEP MAC (an update a peer makes on restart). */
  static String peerValue(int i, int gen) {
    long mac = 0x0e00_0000_0000L | ((long) (gen & 0xff) << 16) | (i & 0xffff);
    StringBuilder m = new StringBuilder();
    for (int b = 5; b >= 0; b--) {
      m.append(String.format("%02x", (mac >> (8 * b)) & 0xff)).append(b > 0 ? ":" : "");
    }
    return "{\"PublicIP\":\"198.18." + (i >> 8 & 0xff) + "." + (i & 0xff)
        + "\",\"PublicIPv6\":null,\"BackendType\":\"vxlan\",\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"" + m + "\"}}";
  }

  /** Writes peers [from, to) with generation gen, 256 puts in flight. */
  void putPeers(int from, int to, int gen) throws Exception {
    KV kv = client.getKVClient();
    Semaphore window = new Semaphore(256);
    List<CompletableFuture<?>> all = new ArrayList<>();
    for (int i = from; i < to; i++) {
      window.acquire();
      all.add(kv.put(bytes(peerKey(i)), bytes(peerValue(i, gen))).whenComplete((r, e) -> window.release()));
    }
    CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(5, TimeUnit.MINUTES);
  }

  void deletePeers(int from, int to) throws Exception {
    KV kv = client.getKVClient();
    List<CompletableFuture<?>> all = new ArrayList<>();
    for (int i = from; i < to; i++) {
      all.add(kv.delete(bytes(peerKey(i))));
    }
    CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(5, TimeUnit.MINUTES);
  }

  /** Deletes every lease (own and peers) except the network config. */
  void clearLeases() throws Exception {
    client.getKVClient().delete(bytes(PREFIX + "/subnets/"),
        io.etcd.jetcd.options.DeleteOption.builder().isPrefix(true).build()).get(1, TimeUnit.MINUTES);
  }

  Path subnetFile() {
    return work.resolve("subnet.env");
  }

  /** Starts flanneld with extra JVM options (may be empty); returns System.nanoTime() just before the fork. */
  long startDaemon(String javaOpts) throws IOException {
    List<String> cmd = List.of(flanneld.toString(), "--etcd-endpoints", ENDPOINT, "--subnet-file",
        subnetFile().toString(), "--iface", "eth0", "--ip-masq", "--healthz-port", "0");
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(work.resolve("flanneld.log").toFile()));
    if (!javaOpts.isBlank()) {
      pb.environment().put("JFLANNEL_JAVA_OPTS", javaOpts);
    }
    long t0 = System.nanoTime();
    daemon = pb.start();
    Files.writeString(work.resolve("pids"), daemon.pid() + "\n", java.nio.file.StandardOpenOption.APPEND);
    return t0;
  }

  long daemonPid() {
    return daemon.pid();
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

  /** Removes flannel.1 (and with it every route, neighbour and FDB entry) and subnet.env. */
  void wipeDataplane() throws Exception {
    wipeDataplane(netlink, subnetFile());
  }

  /** Routes on flannel.1, or -1 when the device does not exist yet. */
  int flannelRoutes() throws Exception {
    return flannelRoutes(netlink);
  }

  /** Deletes flannel.1 in the namespace of {@code netlink} and the subnet file (shared by the kube bench). */
  static void wipeDataplane(Netlink netlink, Path subnetFile) throws Exception {
    Optional<Link> dev = netlink.link("flannel.1");
    if (dev.isPresent()) {
      netlink.deleteLink(dev.get().index());
    }
    Files.deleteIfExists(subnetFile);
  }

  /** Routes on flannel.1 in the namespace of {@code netlink}, or -1 when the device does not exist yet. */
  static int flannelRoutes(Netlink netlink) throws Exception {
    Optional<Link> dev = netlink.link("flannel.1");
    if (dev.isEmpty()) {
      return -1;
    }
    return netlink.routes(RouteFilter.main(Families.AF_INET).withLink(dev.get().index())).size();
  }

  void checkDaemonAlive() {
    if (daemon == null || !daemon.isAlive()) {
      throw new IllegalStateException("flanneld exited; see " + work.resolve("flanneld.log"));
    }
  }

  /** VmRSS of a process in KiB. */
  static long rssKib(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    return -1;
  }

  /** VmRSS split as the kernel reports it: "RssAnon x MiB, RssFile y MiB" (file pages include the CDS archive). */
  static String rssSplit(long pid) throws IOException {
    StringBuilder out = new StringBuilder();
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith("RssAnon:") || line.startsWith("RssFile:")) {
        long kib = Long.parseLong(line.replaceAll("[^0-9]", ""));
        out.append(out.length() > 0 ? ", " : "").append(line, 0, line.indexOf(':'))
            .append(String.format(java.util.Locale.ROOT, " %.1f MiB", kib / 1024.0));
      }
    }
    return out.toString();
  }

  /** utime + stime of a process in clock ticks (fields 14 and 15 of /proc/PID/stat). */
  static long cpuTicks(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(f[11]) + Long.parseLong(f[12]);
  }

  /** The threads of a process with the most CPU time, "name=ms" (from /proc/PID/task). */
  static String topThreads(long pid, int count) throws IOException {
    List<Map.Entry<String, Long>> all = new ArrayList<>();
    try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
      for (Path t : tasks.toList()) {
        try {
          String stat = Files.readString(t.resolve("stat"));
          String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
          String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
          all.add(Map.entry(name, (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10));
        } catch (IOException | RuntimeException e) {
          // the thread ended while we read it
        }
      }
    }
    Map<String, Long> byName = new java.util.TreeMap<>();
    for (Map.Entry<String, Long> e : all) {
      byName.merge(e.getKey().replaceAll("[0-9]+$", "N"), e.getValue(), Long::sum);
    }
    return byName.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(count)
        .map(e -> e.getKey() + "=" + e.getValue()).reduce((a, b) -> a + " " + b).orElse("");
  }

  /** Runs a command and returns its output (for jcmd). */
  static String run(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor();
    return out;
  }

  static Map<String, String> none() {
    return Map.of();
  }

  @Override
  public void close() throws Exception {
    try {
      stopDaemon();
    } finally {
      client.close();
      netlink.close();
      etcd.destroy();
      if (!etcd.waitFor(10, TimeUnit.SECONDS)) {
        etcd.destroyForcibly();
      }
    }
  }
}
