package io.jflannel.lab.bench;

import io.jflannel.lab.Exec;
import io.jflannel.lab.LabBackend;
import io.jflannel.lab.LabCluster;
import io.jflannel.lab.LabSpec;
import io.jflannel.lab.LabStoreKind;
import io.jflannel.lab.Pod;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * iperf3 TCP pod to pod across two nodes: the udp backend against vxlan, two labs up at once
 * with real daemons (etcd store), runs alternating between them so both see the same machine
 * load; prints each run, the medians and the ratio udp / vxlan.
 *
 * <p>Usage: {@code UdpVsVxlanBench FLANNELD RUNS SECONDS NAME_PREFIX} (bench/udp-vs-vxlan.sh).
 */
public final class UdpVsVxlanBench {
  static final Duration CONVERGE = Duration.ofSeconds(60);

  private UdpVsVxlanBench() {
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 4) {
      throw new IllegalArgumentException("usage: UdpVsVxlanBench FLANNELD RUNS SECONDS NAME_PREFIX");
    }
    Path flanneld = Path.of(args[0]).toAbsolutePath();
    if (!Files.isExecutable(flanneld)) {
      throw new IllegalArgumentException("flanneld launcher " + flanneld + " is not executable");
    }
    int runs = Integer.parseInt(args[1]);
    int seconds = Integer.parseInt(args[2]);
    String prefix = args[3];
    if (!prefix.startsWith("jfl-ip-") || prefix.length() > 20) {
      throw new IllegalArgumentException("NAME_PREFIX '" + prefix + "' must start with jfl-ip- and have at most 20 characters");
    }
    System.out.printf(Locale.ROOT, "flanneld %s; %d runs x %d s per backend, alternating; iperf3 %s%n", flanneld,
        runs, seconds, Exec.run("iperf3", "--version").stdout().lines().findFirst().orElse("?"));
    try (LabCluster vx = LabCluster.up(spec(prefix + "-vx", LabBackend.VXLAN, flanneld), System.out);
        LabCluster udp = LabCluster.up(spec(prefix + "-ud", LabBackend.UDP, flanneld), System.out)) {
      vx.awaitConverged(CONVERGE);
      udp.awaitConverged(CONVERGE);
      Pod[] vxPods = {pod(vx, 1), pod(vx, 2)};
      Pod[] udpPods = {pod(udp, 1), pod(udp, 2)};
      List<Double> vxGbps = new ArrayList<>();
      List<Double> udpGbps = new ArrayList<>();
      DataplaneBench.iperf(vxPods[0], vxPods[1], 1); // warm-up of both paths (the udp loop's JIT)
      DataplaneBench.iperf(udpPods[0], udpPods[1], 2);
      for (int i = 1; i <= runs; i++) {
        DataplaneBench.Run a = DataplaneBench.iperf(vxPods[0], vxPods[1], seconds);
        DataplaneBench.Run b = DataplaneBench.iperf(udpPods[0], udpPods[1], seconds);
        vxGbps.add(a.bps() / 1e9);
        udpGbps.add(b.bps() / 1e9);
        System.out.printf(Locale.ROOT, "run %d: vxlan %.3f Gbit/s (%d retransmits), udp %.3f Gbit/s (%d retransmits)%n",
            i, a.bps() / 1e9, a.retransmits(), b.bps() / 1e9, b.retransmits());
      }
      double mv = median(vxGbps);
      double mu = median(udpGbps);
      System.out.printf(Locale.ROOT, "median: vxlan %.3f Gbit/s, udp %.3f Gbit/s; ratio udp / vxlan: %.3f%n", mv, mu,
          mu / mv);
    }
  }

  private static LabSpec spec(String name, LabBackend backend, Path flanneld) {
    return LabSpec.of(name, 2, backend, LabStoreKind.ETCD, flanneld, System.getProperty("java.class.path"))
        .withPodsPerNode(1);
  }

  private static Pod pod(LabCluster lab, int node) {
    return lab.pods(lab.node(node)).get(0);
  }

  static double median(List<Double> xs) {
    double[] a = xs.stream().mapToDouble(Double::doubleValue).toArray();
    Arrays.sort(a);
    return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
  }
}
