package io.jflannel.lab.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Cold start at scale with the Kubernetes store (not a test; run with
 * {@code bench/coldstart-kube.sh}, which creates the network namespace this JVM runs in): the
 * lab's fabric8 API mock holds N peer Nodes, and the real flanneld launcher starts with
 * {@code --kube-subnet-mgr}. Per start: time from the fork to subnet.env and to every peer's
 * route on {@code flannel.1}, the daemon's CPU at both moments, and the mock's CPU meanwhile.
 * References in the same run: {@code java -version}, 0 peers, and a plain list of all Nodes by
 * a fresh client in this (warm) JVM.
 *
 * <pre>
 * KubeColdStartBench FLANNELD RUNS N1 N2 ...
 * </pre>
 */
public final class KubeColdStartBench {
  private static final Pattern SYNCED = Pattern.compile("node informer synced: (\\d+) nodes");
  /** Creates in flight while populating the mock. */
  static final int WRITERS = 8;

  private KubeColdStartBench() {
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 3) {
      throw new IllegalArgumentException("usage: KubeColdStartBench FLANNELD RUNS N1 N2 ...");
    }
    Path flanneld = DaemonBench.launcher(args[0]);
    int runs = Integer.parseInt(args[1]);
    int[] sizes = Arrays.stream(args, 2, args.length).mapToInt(Integer::parseInt).toArray();
    for (int n : sizes) {
      if (n < 0 || n > 32768) {
        throw new IllegalArgumentException("peer count " + n + " is outside 0..32768 (subnets 10.128-255.x.0/24)");
      }
    }
    String opts = System.getenv().getOrDefault("BENCH_JAVA_OPTS", "");
    Path work = Files.createTempDirectory("jfl-prf-");
    System.out.printf(Locale.ROOT, "flanneld %s (--kube-subnet-mgr, API mock %s), extra JVM options '%s', work dir %s%n",
        flanneld, KubeBenchNode.URL, opts, work);
    try (KubeBenchNode node = new KubeBenchNode(work, flanneld, System.getProperty("java.class.path"))) {
      coldStart(node, opts, runs, sizes);
    }
  }

  /** Wall times from fork; daemon CPU at those moments; mock CPU from fork to all routes. */
  record Start(double envMs, double allMs, double envCpuMs, double allCpuMs, double mockCpuMs) {
  }

  static Start startOnce(KubeBenchNode node, String opts, int peers) throws Exception {
    node.wipeDataplane();
    long mockPid = mockPid(node);
    long mock0 = BenchNode.cpuTicks(mockPid);
    long t0 = node.startDaemon(opts);
    long pid = node.daemonPid();
    long env = 0;
    long envCpu = 0;
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
        long mock1 = BenchNode.cpuTicks(mockPid);
        if (System.getenv("BENCH_THREADS") != null) {
          System.out.println("  daemon CPU ms by thread: " + BenchNode.topThreads(pid, 10));
        }
        return new Start((env - t0) / 1e6, (all - t0) / 1e6, envCpu * 10.0, allCpu * 10.0, (mock1 - mock0) * 10.0);
      }
      node.checkDaemonAlive();
      if (now > deadline) {
        throw new IllegalStateException("flanneld did not program " + peers + " peers within 120 s; see "
            + node.daemonLog());
      }
      Thread.sleep(env == 0 ? 5 : 20);
    }
  }

  private static long mockPid(KubeBenchNode node) throws Exception {
    return Long.parseLong(Files.readAllLines(node.work.resolve("pids")).get(0).strip());
  }

  /** The node count of the daemon's last "informer synced" log line, or -1. */
  static int syncedNodes(Path log) throws Exception {
    int last = -1;
    Matcher m = SYNCED.matcher(Files.readString(log));
    while (m.find()) {
      last = Integer.parseInt(m.group(1));
    }
    return last;
  }

  /**
   * {@code updates} peer updates, round after round over the {@code peers} peers: each rewrites
   * a peer's backend-data annotation with a new VTEP MAC. Reports when the daemon applied the
   * last one (its neighbour entry carries the new MAC) and the footprint 5 s later.
   */
  static void churn(KubeBenchNode node, int peers, int updates) throws Exception {
    int rounds = Math.max(1, updates / peers);
    long t0 = System.nanoTime();
    for (int gen = 1; gen <= rounds; gen++) {
      node.updatePeers(0, peers, gen, WRITERS);
    }
    long put = System.nanoTime();
    int last = peers - 1;
    java.net.InetAddress gw = java.net.InetAddress.getByName(BenchNode.peerSubnet(last).replace("/24", ""));
    String mac = KubeBenchNode.peerMac(last, rounds);
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
    while (!DaemonBench.neighHas(node.netlink, gw, mac)) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("updates not applied within 5 minutes");
      }
      Thread.sleep(50);
    }
    long done = System.nanoTime();
    System.out.printf(Locale.ROOT, "  %d peer updates (%d rounds over %d peer Nodes): patches took %.1f s, daemon applied"
        + " the last one %.1f s after the first patch%n", rounds * peers, rounds, peers, (put - t0) / 1e9, (done - t0) / 1e9);
    Thread.sleep(5000);
    DaemonBench.report(node.daemonPid(), String.format(Locale.ROOT, "kube, %d peers, after %d updates (+5 s)",
        peers, rounds * peers));
  }


  static void coldStart(KubeBenchNode node, String opts, int runs, int[] sizes) throws Exception {
    DaemonBench.javaVersionReference(runs);
    int stored = 0;
    for (int n : sizes) {
      if (n > stored) {
        double ms = node.createPeers(stored, n, WRITERS);
        System.out.printf(Locale.ROOT, "  populated the mock with peers %d..%d: %.0f ms (%.0f creates/s, %d in flight)%n",
            stored, n - 1, ms, (n - stored) / (ms / 1000), WRITERS);
      } else if (n < stored) {
        node.deletePeers(n, stored, WRITERS);
      }
      stored = n;
      // Reference: what one plain list of every Node costs, from a warm client (best of 3).
      double list = Double.MAX_VALUE;
      int listed = 0;
      for (int k = 0; k < 3; k++) {
        long t0 = System.nanoTime();
        listed = node.client.nodes().list().getItems().size();
        list = Math.min(list, (System.nanoTime() - t0) / 1e6);
      }
      if (listed != n + 1) {
        throw new IllegalStateException("the mock lists " + listed + " nodes, expected " + (n + 1));
      }
      double[] env = new double[runs];
      double[] all = new double[runs];
      double[] envCpu = new double[runs];
      double[] allCpu = new double[runs];
      double[] mockCpu = new double[runs];
      for (int r = 0; r < runs; r++) {
        Start s = startOnce(node, opts, n);
        env[r] = s.envMs;
        all[r] = s.allMs;
        envCpu[r] = s.envCpuMs;
        allCpu[r] = s.allCpuMs;
        mockCpu[r] = s.mockCpuMs;
        if (r == runs - 1) {
          // Footprint in the DaemonSet's own mode: the last run's RSS once started (as bench/footprint.sh for etcd).
          Thread.sleep(5000);
          DaemonBench.report(node.daemonPid(), String.format(Locale.ROOT, "kube, %d peers, after start (+5 s)", n));
          String churn = System.getenv("BENCH_CHURN"); // peer updates (annotation patches) after the start
          if (churn != null && n > 0) {
            churn(node, n, Integer.parseInt(churn));
          }
          String idle = System.getenv("BENCH_IDLE"); // seconds: idle CPU over them, then the footprint again
          if (idle != null) {
            long pid = node.daemonPid();
            DaemonBench.Idle cpu = DaemonBench.idle(pid, Long.parseLong(idle));
            System.out.printf(Locale.ROOT, "  idle CPU over %.0f s with %d peer Nodes: %d ticks = %.2f %% of one core%n",
                cpu.wallSeconds(), n, cpu.ticks(), cpu.percent());
            DaemonBench.report(pid, String.format(Locale.ROOT, "kube, %d peers, after %s s idle", n, idle));
          }
        }
        node.stopDaemon();
        String keep = System.getenv("BENCH_KEEP_LOG"); // a file to copy the daemon's log to
        if (keep != null) {
          Files.copy(node.daemonLog(), Path.of(keep), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        double stalled = node.awaitMockIdle();
        if (stalled > 1000) {
          System.out.printf(Locale.ROOT, "  (the mock answered again %.0f ms after the daemon stopped: its event loop waits"
              + " in WatchEventsListener.onClosed for the closed watch's sender)%n", stalled);
        }
        int synced = syncedNodes(node.daemonLog());
        if (synced != n + 1) {
          throw new IllegalStateException("the daemon's informer synced " + synced + " nodes, expected " + (n + 1)
              + "; see " + node.daemonLog());
        }
        System.out.printf(Locale.ROOT, "  %d peers, run %d: subnet.env %.0f ms (daemon CPU %.0f ms), all routes %.0f ms"
            + " (CPU %.0f ms), mock CPU %.0f ms, informer synced %d nodes, load %s%n",
            n, r + 1, s.envMs, s.envCpuMs, s.allMs, s.allCpuMs, s.mockCpuMs, synced, DaemonBench.load());
      }
      System.out.printf(Locale.ROOT, "cold start with %5d peer Nodes (kube mock): subnet.env median %5.0f ms, every peer programmed"
          + " median %5.0f ms; daemon CPU medians %5.0f / %5.0f ms; mock CPU median %5.0f ms (wall runs %s; %s);"
          + " reference: warm client lists %d Nodes in %.0f ms%n", n, DaemonBench.med(env), DaemonBench.med(all),
          DaemonBench.med(envCpu), DaemonBench.med(allCpu), DaemonBench.med(mockCpu), DaemonBench.fmt(env),
          DaemonBench.fmt(all), n + 1, list);
    }
  }
}
