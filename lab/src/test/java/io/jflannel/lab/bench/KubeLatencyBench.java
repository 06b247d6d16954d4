package io.jflannel.lab.bench;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.jflannel.netlink.Subscription;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Convergence latency with the Kubernetes store (issue #8 item 2): the daemon runs against the
 * lab's API mock holding BACKGROUND peer Nodes; EVENTS times the bench creates a new peer Node
 * (podCIDR plus the annotations a vxlan flanneld writes) and measures the time from the
 * create request to the RTM_NEWROUTE notification for that subnet in the node's namespace.
 * Reference in the same run: the ADDED event on a bare fabric8 watch of the Nodes in this JVM.
 * The Node is then deleted and the route's removal awaited before the next event.
 *
 * <p>Run through {@code bench/latency-kube.sh BACKGROUND EVENTS}; never part of the test suite.
 */
public final class KubeLatencyBench {
  private KubeLatencyBench() {
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 3) {
      throw new IllegalArgumentException("usage: KubeLatencyBench FLANNELD BACKGROUND EVENTS");
    }
    Path flanneld = DaemonBench.launcher(args[0]);
    int background = Integer.parseInt(args[1]);
    int events = Integer.parseInt(args[2]);
    if (background < 0 || background > 20000 || events < 1) {
      throw new IllegalArgumentException("BACKGROUND must be 0..20000 and EVENTS at least 1");
    }
    String opts = System.getenv().getOrDefault("BENCH_JAVA_OPTS", "");
    Path work = Files.createTempDirectory("jfl-prf-");
    try (KubeBenchNode node = new KubeBenchNode(work, flanneld, System.getProperty("java.class.path"))) {
      if (background > 0) {
        double ms = node.createPeers(0, background, KubeColdStartBench.WRITERS);
        System.out.printf(Locale.ROOT, "populated the mock with %d peer Nodes in %.0f ms%n", background, ms);
      }
      KubeColdStartBench.Start s = KubeColdStartBench.startOnce(node, opts, background);
      System.out.printf(Locale.ROOT, "daemon up with %d background peers (all routes after %.0f ms)%n", background, s.allMs());
      run(node, background, events);
      node.stopDaemon();
    }
  }

  private static void run(KubeBenchNode node, int background, int events) throws Exception {
    Map<String, Long> routeSeen = new ConcurrentHashMap<>();
    Map<String, Long> routeGone = new ConcurrentHashMap<>();
    Map<String, Long> watchSeen = new ConcurrentHashMap<>();
    double[] ours = new double[events];
    double[] ref = new double[events];
    try (Watch w = node.client.nodes().watch(new Watcher<Node>() {
          @Override
          public void eventReceived(Action action, Node n) {
            if (action == Action.ADDED) {
              watchSeen.putIfAbsent(n.getMetadata().getName(), System.nanoTime());
            }
          }

          @Override
          public void onClose(WatcherException cause) {
          }
        });
        Subscription sub = DaemonBench.routeClock(node.netlink, routeSeen, routeGone)) {
      Thread.sleep(500); // the reference watch is established (and the mock's replay to it is over)
      watchSeen.clear();
      for (int k = 0; k < events; k++) {
        int i = 25000 + k; // 10.225+.x.0/24: outside the background peers
        String name = KubeBenchNode.peerName(i);
        String dst = BenchNode.peerSubnet(i).replace("/24", "");
        Node n = KubeBenchNode.node(name, BenchNode.peerSubnet(i), KubeBenchNode.peerIp(i), true, i);
        long t0 = System.nanoTime();
        node.client.nodes().resource(n).create();
        Long r = DaemonBench.await(routeSeen, dst);
        Long seen = DaemonBench.await(watchSeen, name);
        ours[k] = (r - t0) / 1e6;
        ref[k] = (seen - t0) / 1e6;
        node.client.nodes().withName(name).delete();
        DaemonBench.await(routeGone, dst);
        Thread.sleep(20);
      }
    }
    Arrays.sort(ours);
    Arrays.sort(ref);
    System.out.printf(Locale.ROOT, "Node create -> route on the node, %d events, %d background peers: p50 %.1f ms, p90 %.1f ms,"
        + " p99 %.1f ms, max %.1f ms (target p99 <= 50 ms: %s)%n", events, background, DaemonBench.pct(ours, 50),
        DaemonBench.pct(ours, 90), DaemonBench.pct(ours, 99), ours[events - 1],
        DaemonBench.pct(ours, 99) <= 50 ? "MET" : "NOT MET");
    System.out.printf(Locale.ROOT, "reference: Node create -> bare fabric8 watch event: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms,"
        + " max %.1f ms; overhead ratio p50 %.1fx; load %s%n", DaemonBench.pct(ref, 50), DaemonBench.pct(ref, 90),
        DaemonBench.pct(ref, 99), ref[events - 1], DaemonBench.pct(ours, 50) / DaemonBench.pct(ref, 50), DaemonBench.load());
  }
}
