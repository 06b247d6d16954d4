package io.jflannel.lab.bench;

import io.etcd.jetcd.Watch;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.jflannel.netlink.Group;
import io.jflannel.netlink.Netlink;
import io.jflannel.netlink.NetlinkEvent;
import io.jflannel.netlink.NetlinkException;
import io.jflannel.netlink.Subscription;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Daemon-level benchmarks against a real etcd and the real flanneld launcher (not tests; run
 * with {@code bench/coldstart.sh}, {@code bench/footprint.sh}, {@code bench/latency.sh}, which
 * create the network namespace this JVM runs in). Every figure is printed with the reference
 * measured in the same run.
 *
 * <pre>
 * DaemonBench coldstart FLANNELD RUNS N1 N2 ...   process start -> subnet.env, -> all N peers' routes
 * DaemonBench footprint FLANNELD N UPDATES IDLE_S  RSS/heap after start and after UPDATES peer updates; idle CPU
 * DaemonBench latency   FLANNELD BACKGROUND EVENTS lease put -> route on the node, vs put -> bare etcd watch
 * </pre>
 */
public final class DaemonBench {
  private DaemonBench() {
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 2) {
      throw new IllegalArgumentException("usage: DaemonBench coldstart|footprint|latency FLANNELD ...");
    }
    Path flanneld = launcher(args[1]);
    String opts = System.getenv().getOrDefault("BENCH_JAVA_OPTS", "");
    Path work = Files.createTempDirectory("jfl-prf-");
    System.out.printf(Locale.ROOT, "flanneld %s, extra JVM options '%s', work dir %s%n", flanneld, opts, work);
    try (BenchNode node = new BenchNode(work, flanneld)) {
      switch (args[0]) {
        case "coldstart" -> coldStart(node, opts, Integer.parseInt(args[2]),
            Arrays.stream(args, 3, args.length).mapToInt(Integer::parseInt).toArray());
        case "footprint" -> footprint(node, opts, Integer.parseInt(args[2]), Integer.parseInt(args[3]),
            Integer.parseInt(args[4]));
        case "latency" -> latency(node, opts, Integer.parseInt(args[2]), Integer.parseInt(args[3]));
        default -> throw new IllegalArgumentException("unknown benchmark " + args[0]);
      }
    }
  }

  // ---- cold start ----------------------------------------------------------------------

  /** Wall times from fork, and the daemon's CPU time (user + system, all threads) at those moments. */
  record Start(double envMs, double allMs, double envCpuMs, double allCpuMs) {
  }

  /** From fork to subnet.env, and to every peer's route present; the dataplane wiped first. */
  static Start startOnce(BenchNode node, String opts, int peers) throws Exception {
    node.wipeDataplane();
    long t0 = node.startDaemon(opts);
    long env = 0;
    long envCpu = 0;
    long pid = node.daemonPid();
    long deadline = t0 + TimeUnit.SECONDS.toNanos(120);
    while (true) {
      long now = System.nanoTime();
      if (env == 0 && Files.exists(node.subnetFile())) {
        env = now;
        envCpu = BenchNode.cpuTicks(pid);
      }
      if (env != 0 && node.flannelRoutes() >= peers) {
        long all = System.nanoTime();
        long allCpu = BenchNode.cpuTicks(pid);
        if (System.getenv("BENCH_THREADS") != null) {
          System.out.println("  daemon CPU ms by thread: " + BenchNode.topThreads(pid, 10));
        }
        return new Start((env - t0) / 1e6, (all - t0) / 1e6, envCpu * 10.0, allCpu * 10.0);
      }
      node.checkDaemonAlive();
      if (now > deadline) {
        throw new IllegalStateException("flanneld did not program " + peers + " peers within 120 s");
      }
      Thread.sleep(env == 0 ? 5 : 20);
    }
  }

  static void coldStart(BenchNode node, String opts, int runs, int[] sizes) throws Exception {
    javaVersionReference(runs);
    int stored = 0;
    for (int n : sizes) {
      if (n > stored) {
        node.putPeers(stored, n, 0);
      } else if (n < stored) {
        node.deletePeers(n, stored);
      }
      stored = n;
      double[] env = new double[runs];
      double[] all = new double[runs];
      double[] envCpu = new double[runs];
      double[] allCpu = new double[runs];
      for (int r = 0; r < runs; r++) {
        Start s = startOnce(node, opts, n);
        env[r] = s.envMs;
        all[r] = s.allMs;
        envCpu[r] = s.envCpuMs;
        allCpu[r] = s.allCpuMs;
        node.stopDaemon();
        System.out.printf(Locale.ROOT, "  %d peers, run %d: subnet.env %.0f ms (daemon CPU %.0f ms), all routes %.0f ms (CPU %.0f ms), load %s%n",
            n, r + 1, s.envMs, s.envCpuMs, s.allMs, s.allCpuMs, load());
      }
      System.out.printf(Locale.ROOT, "cold start with %5d peers in etcd: subnet.env median %5.0f ms, every peer programmed median %5.0f ms;"
          + " daemon CPU medians %5.0f / %5.0f ms (wall runs %s; %s)%n", n, med(env), med(all), med(envCpu), med(allCpu),
          fmt(env), fmt(all));
    }
  }

  // ---- footprint -----------------------------------------------------------------------

  static void footprint(BenchNode node, String opts, int peers, int updates, int idleSeconds) throws Exception {
    node.putPeers(0, peers, 0);
    Start s = startOnce(node, opts, peers);
    long pid = node.daemonPid();
    System.out.printf(Locale.ROOT, "started with %d peers: subnet.env %.0f ms, all routes %.0f ms%n", peers, s.envMs, s.allMs);
    Thread.sleep(5000);
    report(pid, "after start (+5 s)");
    // Peer updates: each rewrites one peer's lease with a new VTEP MAC, round after round.
    long t0 = System.nanoTime();
    int rounds = Math.max(1, updates / peers);
    for (int gen = 1; gen <= rounds; gen++) {
      node.putPeers(0, Math.min(peers, updates - (gen - 1) * peers), gen);
    }
    long put = System.nanoTime();
    // Converged when the last-written peer's neighbour shows the final MAC.
    int last = Math.min(peers, updates - (rounds - 1) * peers) - 1;
    String want = BenchNode.peerValue(last, rounds);
    String mac = want.substring(want.indexOf("VtepMAC\":\"") + 10, want.length() - 3);
    InetAddress gw = InetAddress.getByName(BenchNode.peerSubnet(last).replace("/24", ""));
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
    while (!neighHas(node.netlink, gw, mac)) {
      node.checkDaemonAlive();
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("updates not applied within 5 minutes");
      }
      Thread.sleep(50);
    }
    long done = System.nanoTime();
    System.out.printf(Locale.ROOT, "%d peer updates (%d rounds over %d peers): etcd puts took %.1f s, daemon applied the last one %.1f s after the first put%n",
        rounds * peers, rounds, peers, (put - t0) / 1e9, (done - t0) / 1e9);
    Thread.sleep(5000);
    report(pid, "after " + rounds * peers + " updates (+5 s)");
    Idle idle = idle(pid, idleSeconds);
    System.out.printf(Locale.ROOT, "idle CPU over %.0f s with %d peers: %d ticks = %.2f %% of one core (target <= 1 %%: %s)%n",
        idle.wallSeconds(), peers, idle.ticks(), idle.percent(), idle.percent() <= 1.0 ? "MET" : "NOT MET");
    report(pid, "after idle");
    node.stopDaemon();
  }

  /** Whether flannel.1 has a neighbour entry for {@code gw} with {@code mac}. */
  static boolean neighHas(io.jflannel.netlink.Netlink netlink, InetAddress gw, String mac) throws Exception {
    var dev = netlink.link("flannel.1");
    if (dev.isEmpty()) {
      return false;
    }
    return netlink.neighs(dev.get().index(), io.jflannel.netlink.Families.AF_INET).stream()
        .anyMatch(n -> n.address().equals(gw) && mac.equalsIgnoreCase(String.valueOf(n.lladdr())));
  }

  /** CPU a process used while the bench slept {@code seconds}. */
  record Idle(double wallSeconds, long ticks) {
    double percent() {
      return 100.0 * ticks / 100.0 / wallSeconds; // USER_HZ is 100 on Linux
    }
  }

  static Idle idle(long pid, long seconds) throws Exception {
    long c0 = BenchNode.cpuTicks(pid);
    long w0 = System.nanoTime();
    Thread.sleep(seconds * 1000L);
    return new Idle((System.nanoTime() - w0) / 1e9, BenchNode.cpuTicks(pid) - c0);
  }


  static void report(long pid, String when) throws Exception {
    long rss = BenchNode.rssKib(pid);
    String heap = BenchNode.run("jcmd", Long.toString(pid), "GC.heap_info").lines()
        .filter(l -> l.contains("total") || l.contains("Metaspace") || l.contains("class space"))
        .map(String::strip).reduce((a, b) -> a + " | " + b).orElse("?");
    String code = BenchNode.run("jcmd", Long.toString(pid), "Compiler.codecache").lines()
        .filter(l -> l.startsWith("CodeCache:")).map(l -> l.replaceAll(".* used=(\\d+Kb).*", "$1")).findFirst().orElse("?");
    System.out.printf(Locale.ROOT, "%-28s RSS %6.1f MiB (%s; target <= 96 MiB: %s); code cache %s; heap: %s%n", when,
        rss / 1024.0, BenchNode.rssSplit(pid), rss <= 96 * 1024 ? "MET" : "NOT MET", code, heap);
    if (System.getenv("BENCH_NMT") != null) { // needs -XX:NativeMemoryTracking=summary in BENCH_JAVA_OPTS
      BenchNode.run("jcmd", Long.toString(pid), "VM.native_memory", "summary", "scale=KB").lines()
          .filter(l -> l.contains("committed=") && l.startsWith("-") || l.startsWith("Total"))
          .forEach(l -> System.out.println("    " + l.strip()));
    }
    if (System.getenv("BENCH_THREADS") != null) { // every thread, by name
      java.util.List<String> names = new java.util.ArrayList<>();
      try (var tasks = java.nio.file.Files.list(java.nio.file.Path.of("/proc/" + pid + "/task"))) {
        for (java.nio.file.Path t : tasks.toList()) {
          names.add(java.nio.file.Files.readString(t.resolve("comm")).strip());
        }
      }
      java.util.Collections.sort(names);
      System.out.println("    " + names.size() + " threads: " + String.join(", ", names));
    }
    String histo = System.getenv("BENCH_HISTO"); // top N classes of a full collection's histogram
    if (histo != null) {
      BenchNode.run("jcmd", Long.toString(pid), "GC.class_histogram").lines()
          .limit(Integer.parseInt(histo) + 3L).forEach(l -> System.out.println("    " + l.strip()));
    }
    String smaps = System.getenv("BENCH_SMAPS"); // a file to copy the daemon's /proc/PID/smaps to
    if (smaps != null) {
      java.nio.file.Files.copy(java.nio.file.Path.of("/proc/" + pid + "/smaps"), java.nio.file.Path.of(smaps),
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
    String dump = System.getenv("BENCH_HEAP_DUMP"); // a file to write a heap dump of live objects to
    if (dump != null) {
      BenchNode.run("jcmd", Long.toString(pid), "GC.heap_dump", dump);
    }
  }

  // ---- convergence latency -------------------------------------------------------------

  static void latency(BenchNode node, String opts, int background, int events) throws Exception {
    node.putPeers(0, background, 0);
    Start s = startOnce(node, opts, background);
    System.out.printf(Locale.ROOT, "daemon up with %d background peers (all routes after %.0f ms)%n", background, s.allMs);
    Map<String, Long> routeSeen = new ConcurrentHashMap<>();
    Map<String, Long> routeGone = new ConcurrentHashMap<>();
    Map<String, Long> watchSeen = new ConcurrentHashMap<>();
    // The reference: a bare etcd client watching the same prefix in this JVM.
    Watch.Watcher watcher = node.client.getWatchClient().watch(BenchNode.bytes(BenchNode.PREFIX + "/subnets/"),
        WatchOption.builder().isPrefix(true).build(), Watch.listener(resp -> {
          long now = System.nanoTime();
          for (WatchEvent e : resp.getEvents()) {
            if (e.getEventType() == WatchEvent.EventType.PUT) {
              watchSeen.putIfAbsent(e.getKeyValue().getKey().toString(), now);
            }
          }
        }));
    Subscription sub = routeClock(node.netlink, routeSeen, routeGone);
    double[] ours = new double[events];
    double[] ref = new double[events];
    try {
      for (int k = 0; k < events; k++) {
        int i = 25000 + k; // 10.225+.x.0/24: outside the background peers (at most 10.147.x)
        String key = BenchNode.peerKey(i);
        String dst = BenchNode.peerSubnet(i).replace("/24", "");
        long t0 = System.nanoTime();
        node.client.getKVClient().put(BenchNode.bytes(key), BenchNode.bytes(BenchNode.peerValue(i, 0))).get(10, TimeUnit.SECONDS);
        Long r = await(routeSeen, dst);
        Long w = await(watchSeen, key);
        ours[k] = (r - t0) / 1e6;
        ref[k] = (w - t0) / 1e6;
        node.client.getKVClient().delete(BenchNode.bytes(key)).get(10, TimeUnit.SECONDS);
        await(routeGone, dst);
        Thread.sleep(20);
      }
    } finally {
      sub.close();
      watcher.close();
    }
    Arrays.sort(ours);
    Arrays.sort(ref);
    System.out.printf(Locale.ROOT, "lease put -> route on the node, %d events, %d background peers: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms (target p99 <= 50 ms: %s)%n",
        events, background, pct(ours, 50), pct(ours, 90), pct(ours, 99), ours[events - 1], pct(ours, 99) <= 50 ? "MET" : "NOT MET");
    System.out.printf(Locale.ROOT, "reference: lease put -> bare etcd watch event:  p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms; overhead ratio p50 %.1fx%n",
        pct(ref, 50), pct(ref, 90), pct(ref, 99), ref[events - 1], pct(ours, 50) / pct(ref, 50));
    node.stopDaemon();
  }

  /** The flanneld launcher named on the command line, checked to be executable. */
  static Path launcher(String arg) {
    Path flanneld = Path.of(arg).toAbsolutePath();
    if (!Files.isExecutable(flanneld)) {
      throw new IllegalArgumentException("flanneld launcher " + flanneld + " is not executable");
    }
    return flanneld;
  }

  /** Prints the reference every start-up figure is compared with: {@code java -version}, RUNS times. */
  static void javaVersionReference(int runs) throws Exception {
    double[] jv = new double[runs];
    for (int r = 0; r < runs; r++) {
      long t0 = System.nanoTime();
      new ProcessBuilder("java", "-version").redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
      jv[r] = (System.nanoTime() - t0) / 1e6;
    }
    System.out.printf(Locale.ROOT, "reference: java -version  median %.0f ms (runs %s)%n", med(jv), fmt(jv));
  }

  /**
   * Timestamps route notifications in the node's namespace: the first RTM_NEWROUTE per
   * destination into {@code added}, the last RTM_DELROUTE into {@code deleted}.
   */
  static Subscription routeClock(Netlink netlink, Map<String, Long> added, Map<String, Long> deleted)
      throws NetlinkException {
    return netlink.subscribe(EnumSet.of(Group.IPV4_ROUTE), e -> {
      long now = System.nanoTime();
      if (e instanceof NetlinkEvent.RouteAdded a && a.route().dst() != null) {
        added.putIfAbsent(a.route().dst().getHostAddress(), now);
      } else if (e instanceof NetlinkEvent.RouteDeleted d && d.route().dst() != null) {
        deleted.put(d.route().dst().getHostAddress(), now);
      }
    });
  }

  static Long await(Map<String, Long> seen, String key) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    Long v;
    while ((v = seen.remove(key)) == null) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("no event for " + key + " within 30 s");
      }
      Thread.sleep(0, 200_000);
    }
    return v;
  }

  static String load() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
    } catch (java.io.IOException e) {
      return "?";
    }
  }

  static double pct(double[] sorted, int p) {
    int idx = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, idx))];
  }

  static double med(double[] v) {
    double[] c = v.clone();
    Arrays.sort(c);
    return c[c.length / 2];
  }

  static String fmt(double[] v) {
    List<String> out = new ArrayList<>();
    for (double d : v) {
      out.add(String.format(Locale.ROOT, "%.0f", d));
    }
    return String.join("/", out);
  }

}
