package io.jflannel.lab.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jflannel.lab.Exec;
import io.jflannel.lab.LabBackend;
import io.jflannel.lab.LabCluster;
import io.jflannel.lab.LabException;
import io.jflannel.lab.LabJanitor;
import io.jflannel.lab.LabNode;
import io.jflannel.lab.LabSpec;
import io.jflannel.lab.LabStoreKind;
import io.jflannel.lab.Pod;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Dataplane sanity (not a test; run with {@code bench/dataplane.sh}): TCP throughput with
 * iperf3 from the pod on node 1 to the pod on node 2, for a two-node lab with real daemons
 * (etcd store) against references built in the same run and measured alternately:
 *
 * <ul>
 *   <li>vxlan: the same topology with {@code flannel.1}, neighbours, FDB entries and routes
 *       made by hand with iproute2 ({@link HandTopology}), once with a copy of the daemons'
 *       nft ruleset (their {@code --ip-masq} rules, own subnet substituted: same conntrack/NAT
 *       cost) and once without any rules;
 *   <li>host-gw: the same topology with the routes made by hand (with and without the rules),
 *       and a direct veth pair between two bare namespaces (the ceiling: one hop instead of
 *       pod veth, cni0, node, underlay bridge, node, cni0, pod veth).
 * </ul>
 *
 * <p>Afterwards both daemons are killed (the dataplane stays) and ours is measured against the
 * reference again, and the CPU the lab's own processes used while measuring is printed: on a
 * small machine a busy daemon would slow iperf3 without anything being wrong in the kernel.
 *
 * <p>Before measuring it prints the MTU of every pod interface, cni0 and flannel.1, and every
 * difference between the {@code ip -d -j link} description of our devices and the hand-made
 * ones, so a wrong MTU or device option shows next to the figures.
 *
 * <pre>
 * DataplaneBench FLANNELD RUNS SECONDS NAME_PREFIX [vxlan|host-gw|all]
 * </pre>
 */
public final class DataplaneBench {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path CNI = Path.of("/usr/lib/cni");
  private static final Duration CONVERGE = Duration.ofSeconds(120);
  /** Fields of {@code ip -d -j link} that differ by design between any two devices. */
  private static final Set<String> IDENTITY = Set.of("ifindex", "address", "link_index");

  private DataplaneBench() {
  }

  /** One iperf3 run: received rate, sender retransmits, sender and receiver CPU (% of all CPUs). */
  record Run(double bps, long retransmits, double senderCpu, double receiverCpu) {
  }

  /** A measured configuration: iperf3 client pod {@code from}, server pod {@code to}. */
  static final class Side {
    final String label;
    final Pod from;
    final Pod to;
    final List<Run> runs = new ArrayList<>();

    Side(String label, Pod from, Pod to) {
      this.label = label;
      this.from = from;
      this.to = to;
    }

    double medianGbps() {
      return median(runs.stream().mapToDouble(r -> r.bps / 1e9).toArray());
    }

    double medianRetransmits() {
      return median(runs.stream().mapToDouble(r -> r.retransmits).toArray());
    }
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 4) {
      throw new IllegalArgumentException(
          "usage: DataplaneBench FLANNELD RUNS SECONDS NAME_PREFIX [vxlan|host-gw|all]");
    }
    Path flanneld = Path.of(args[0]).toAbsolutePath();
    if (!Files.isExecutable(flanneld)) {
      throw new IllegalArgumentException("flanneld launcher " + flanneld + " is not executable");
    }
    int runs = positive(args[1], "RUNS");
    int seconds = positive(args[2], "SECONDS");
    String prefix = args[3];
    if (!prefix.startsWith("jfl-ip-") || prefix.length() > 20) {
      throw new IllegalArgumentException("NAME_PREFIX '" + prefix
          + "' must start with jfl-ip- and have at most 20 characters");
    }
    String which = args.length > 4 ? args[4] : "all";
    if (!Set.of("vxlan", "host-gw", "all").contains(which)) {
      throw new IllegalArgumentException("unknown group '" + which + "', expected vxlan, host-gw or all");
    }
    System.out.printf(Locale.ROOT, "flanneld %s; %d runs x %d s per side, alternating; iperf3 %s%n",
        flanneld, runs, seconds, Exec.run("iperf3", "--version").stdout().lines().findFirst().orElse("?"));
    if (!which.equals("host-gw")) {
      vxlanGroup(flanneld, runs, seconds, prefix);
    }
    if (!which.equals("vxlan")) {
      hostGwGroup(flanneld, runs, seconds, prefix);
    }
  }

  // ---- the two groups ------------------------------------------------------------------

  private static void vxlanGroup(Path flanneld, int runs, int seconds, String prefix) throws Exception {
    System.out.println("\n== vxlan: ours vs flannel.1 programmed by hand (load " + load() + ")");
    Path work = Files.createTempDirectory(LabJanitor.WORK_DIR_PREFIX + prefix + "-hand-");
    try (LabCluster lab = LabCluster.up(spec(prefix + "-vx", LabBackend.VXLAN, flanneld), System.out);
        HandTopology hand = new HandTopology(prefix + "-hvx", true, CNI, work.resolve("r"));
        HandTopology bare = new HandTopology(prefix + "-bvx", true, CNI, work.resolve("b"))) {
      lab.awaitConverged(CONVERGE);
      hand.up();
      bare.up();
      hand.copyRulesFrom(lab.node(1), lab.subnet(lab.node(1)), 1);
      hand.copyRulesFrom(lab.node(2), lab.subnet(lab.node(2)), 2);
      Side ours = new Side("ours: vxlan, flanneld", labPod(lab, 1), labPod(lab, 2));
      Side ref = new Side("hand-made vxlan (iproute2), daemons' rules copied", hand.pod(1), hand.pod(2));
      Side noRules = new Side("hand-made vxlan (iproute2), no rules", bare.pod(1), bare.pod(2));
      List<Side> sides = List.of(ours, ref, noRules);
      printMtus(sides, true);
      for (int k = 1; k <= 2; k++) {
        compareDevice("flannel.1 on n" + k, lab.node(k).netns(), hand.node(k).netns(), "flannel.1");
      }
      compareDevice("pod eth0 on n1", ours.from.netns(), ref.from.netns(), "eth0");
      compareDevice("cni0 on n1", lab.node(1).netns(), hand.node(1).netns(), "cni0");
      printPeerObjects(lab.node(1), hand.node(1));
      compareNodeSettings(lab.node(1).netns(), hand.node(1).netns());
      measureWithBackground(lab, sides, runs, seconds);
      report(sides, ref);
      afterDaemonsKilled(lab, ours, ref, runs, seconds);
    } finally {
      LabJanitor.deleteWorkDir(work);
    }
  }

  private static void hostGwGroup(Path flanneld, int runs, int seconds, String prefix) throws Exception {
    System.out.println("\n== host-gw: ours vs routes by hand vs direct veth (load " + load() + ")");
    Path work = Files.createTempDirectory(LabJanitor.WORK_DIR_PREFIX + prefix + "-hand-");
    List<String> vethNs = List.of(prefix + "-va", prefix + "-vb");
    try (LabCluster lab = LabCluster.up(spec(prefix + "-hg", LabBackend.HOST_GW, flanneld), System.out);
        HandTopology hand = new HandTopology(prefix + "-hhg", false, CNI, work.resolve("r"));
        HandTopology bare = new HandTopology(prefix + "-bhg", false, CNI, work.resolve("b"))) {
      try {
        lab.awaitConverged(CONVERGE);
        hand.up();
        bare.up();
        hand.copyRulesFrom(lab.node(1), lab.subnet(lab.node(1)), 1);
        hand.copyRulesFrom(lab.node(2), lab.subnet(lab.node(2)), 2);
        Pod[] veth = directVeth(vethNs, HandTopology.mtu(lab.node(1).netns(), "eth0"));
        Side ours = new Side("ours: host-gw, flanneld", labPod(lab, 1), labPod(lab, 2));
        Side ref = new Side("hand-made host-gw routes (iproute2), daemons' rules copied",
            hand.pod(1), hand.pod(2));
        Side noRules = new Side("hand-made host-gw routes (iproute2), no rules", bare.pod(1), bare.pod(2));
        Side direct = new Side("direct veth between two namespaces", veth[0], veth[1]);
        List<Side> sides = List.of(ours, ref, noRules, direct);
        printMtus(sides, false);
        compareDevice("pod eth0 on n1", ours.from.netns(), ref.from.netns(), "eth0");
        compareDevice("cni0 on n1", lab.node(1).netns(), hand.node(1).netns(), "cni0");
        System.out.println("routes on n1, ours:      " + oneLine(Exec.check("ip", "-n", lab.node(1).netns(),
            "-d", "route", "show", "root", "10.244.0.0/16").stdout()));
        System.out.println("routes on n1, hand-made: " + oneLine(Exec.check("ip", "-n", hand.node(1).netns(),
            "-d", "route", "show", "root", "10.244.0.0/16").stdout()));
        compareNodeSettings(lab.node(1).netns(), hand.node(1).netns());
        measureWithBackground(lab, sides, runs, seconds);
        report(sides, ref);
        System.out.printf(Locale.ROOT, "ratio ours / direct veth: %.3f%n", ours.medianGbps() / direct.medianGbps());
        afterDaemonsKilled(lab, ours, ref, runs, seconds);
      } finally {
        for (String ns : vethNs) {
          LabJanitor.deleteNamespace(ns);
        }
      }
    } finally {
      LabJanitor.deleteWorkDir(work);
    }
  }

  private static LabSpec spec(String name, LabBackend backend, Path flanneld) {
    return LabSpec.of(name, 2, backend, LabStoreKind.ETCD, flanneld,
        System.getProperty("java.class.path")).withPodsPerNode(1);
  }

  private static Pod labPod(LabCluster lab, int node) {
    return lab.pods(lab.node(node)).get(0);
  }

  /** Two namespaces joined by one veth pair, 10.245.0.1/24 and 10.245.0.2/24, MTU {@code mtu}. */
  private static Pod[] directVeth(List<String> names, int mtu) {
    for (String ns : names) {
      Exec.check("ip", "netns", "add", ns);
      Exec.check("ip", "-n", ns, "link", "set", "lo", "up");
    }
    Exec.check("ip", "-n", names.get(0), "link", "add", "eth0", "mtu", Integer.toString(mtu), "type",
        "veth", "peer", "name", "eth0", "mtu", Integer.toString(mtu), "netns", names.get(1));
    Pod[] pods = new Pod[2];
    for (int i = 0; i < 2; i++) {
      String ip = "10.245.0." + (i + 1);
      Exec.check("ip", "-n", names.get(i), "addr", "add", ip + "/24", "dev", "eth0");
      Exec.check("ip", "-n", names.get(i), "link", "set", "eth0", "up");
      pods[i] = new Pod("veth-" + (char) ('a' + i), names.get(i), i + 1, ip);
    }
    return pods;
  }

  // ---- inspection ----------------------------------------------------------------------

  private static void printMtus(List<Side> sides, boolean vxlan) {
    System.out.println("MTUs (pod eth0 of client/server; node devices of the client's node):");
    for (Side s : sides) {
      StringBuilder sb = new StringBuilder();
      sb.append(String.format(Locale.ROOT, "  %-70s pod eth0 %d/%d", s.label,
          HandTopology.mtu(s.from.netns(), "eth0"), HandTopology.mtu(s.to.netns(), "eth0")));
      String node = nodeNs(s.from);
      if (node != null) {
        sb.append(" cni0 ").append(HandTopology.mtu(node, "cni0"));
        sb.append(" eth0 ").append(HandTopology.mtu(node, "eth0"));
        if (vxlan) {
          sb.append(" flannel.1 ").append(HandTopology.mtu(node, "flannel.1"));
        }
      }
      System.out.println(sb);
    }
  }

  /** A lab/hand pod namespace is {@code <node ns>-p<J>}; the direct veth ends have no node. */
  private static String nodeNs(Pod pod) {
    int i = pod.netns().lastIndexOf("-p");
    return i > 0 && pod.netns().substring(i + 2).chars().allMatch(Character::isDigit)
        ? pod.netns().substring(0, i) : null;
  }

  /**
   * Prints every field of {@code ip -d -j link show dev DEV} that differs between ours and the
   * hand-made device (identity fields such as ifindex and MAC left out).
   */
  private static void compareDevice(String what, String oursNs, String handNs, String dev) {
    Map<String, String> ours = flatten(HandTopology.link(oursNs, dev));
    Map<String, String> hand = flatten(HandTopology.link(handNs, dev));
    Set<String> keys = new TreeSet<>(ours.keySet());
    keys.addAll(hand.keySet());
    List<String> diffs = new ArrayList<>();
    for (String k : keys) {
      String leaf = k.substring(k.lastIndexOf('.') + 1);
      if (IDENTITY.contains(leaf)) {
        continue;
      }
      String a = ours.getOrDefault(k, "(absent)");
      String b = hand.getOrDefault(k, "(absent)");
      if (!a.equals(b)) {
        diffs.add(k + ": ours " + a + ", hand-made " + b);
      }
    }
    System.out.println(what + ": " + (diffs.isEmpty()
        ? "identical to the hand-made device (" + keys.size() + " fields of ip -d -j link, ifindex/MAC aside)"
        : diffs.size() + " difference(s): " + String.join("; ", diffs)));
    if (dev.equals("flannel.1")) {
      System.out.println("  ours: " + oneLine(Exec.check("ip", "-n", oursNs, "-d", "link", "show", "dev", dev)
          .stdout().replaceAll("link/ether \\S+", "link/ether MAC")));
    }
  }

  private static Map<String, String> flatten(JsonNode node) {
    Map<String, String> out = new TreeMap<>();
    flatten("", node, out);
    return out;
  }

  private static void flatten(String path, JsonNode node, Map<String, String> out) {
    if (node.isObject()) {
      for (Map.Entry<String, JsonNode> e : node.properties()) {
        flatten(path.isEmpty() ? e.getKey() : path + "." + e.getKey(), e.getValue(), out);
      }
    } else if (node.isArray()) {
      List<String> items = new ArrayList<>();
      node.forEach(n -> items.add(n.toString()));
      out.put(path, items.toString());
    } else {
      out.put(path, node.asText());
    }
  }

  private static void printPeerObjects(LabNode ours, LabNode hand) {
    for (LabNode n : List.of(ours, hand)) {
      String who = n == ours ? "ours:     " : "hand-made:";
      String ns = n.netns();
      System.out.println("peer objects on n1, " + who + " addr " + oneLine(Exec.check("ip", "-n", ns, "-4", "-o",
          "addr", "show", "dev", "flannel.1").stdout().replaceAll("^\\d+: flannel.1\\s+", ""))
          + " | neigh " + oneLine(Exec.check("ip", "-n", ns, "neigh", "show", "dev", "flannel.1").stdout())
          + " | fdb " + oneLine(Exec.check("ip", "netns", "exec", ns, "bridge", "fdb", "show", "dev", "flannel.1")
          .stdout())
          + " | route " + oneLine(Exec.check("ip", "-n", ns, "route", "show", "dev", "flannel.1").stdout()));
    }
  }

  private static String oneLine(String s) {
    return s.strip().replaceAll("\\s*\n\\s*", " ; ").replaceAll("\\s+", " ")
        .replaceAll("([0-9a-f]{2}:){5}[0-9a-f]{2}", "MAC");
  }

  /**
   * Prints the sysctls under net.ipv4, net.core and net.bridge that differ between a lab node
   * and a hand-made node, and the size of both nft rulesets (iptables-nft included).
   */
  private static void compareNodeSettings(String oursNs, String handNs) {
    Map<String, String> ours = sysctls(oursNs);
    Map<String, String> hand = sysctls(handNs);
    List<String> diffs = new ArrayList<>();
    for (String k : new TreeSet<>(ours.keySet())) {
      if (!ours.get(k).equals(hand.getOrDefault(k, "(absent)"))
          && !k.matches(".*(random|secret|count|_id|boot_id|hash).*")) {
        diffs.add(k + ": ours " + ours.get(k) + ", hand-made " + hand.getOrDefault(k, "(absent)"));
      }
    }
    System.out.println("node n1 sysctls (net.ipv4/core/bridge, interface-specific ones for eth0/cni0/flannel.1/all/default): "
        + (diffs.isEmpty() ? "identical" : String.join("; ", diffs)));
    System.out.println("node n1 nft ruleset, ours:      " + oneLine(Exec.runIn(oursNs, "nft", "list", "ruleset").stdout().replaceAll("packets \\d+ bytes \\d+ ", "")));
    System.out.println("node n1 nft ruleset, hand-made: " + oneLine(Exec.runIn(handNs, "nft", "list", "ruleset").stdout().replaceAll("packets \\d+ bytes \\d+ ", "")));
  }

  private static Map<String, String> sysctls(String ns) {
    Map<String, String> out = new TreeMap<>();
    for (String line : Exec.runIn(ns, "sysctl", "-a").stdout().split("\n")) {
      int eq = line.indexOf(" = ");
      if (eq < 0) {
        continue;
      }
      String k = line.substring(0, eq);
      boolean perIf = k.matches("net\\.ipv4\\.(conf|neigh)\\.[^.]+\\..*");
      boolean wantedIf = k.matches("net\\.ipv4\\.(conf|neigh)\\.(eth0|cni0|flannel\\.1|all|default)\\..*");
      if ((k.startsWith("net.ipv4.") || k.startsWith("net.core.") || k.startsWith("net.bridge."))
          && (!perIf || wantedIf)) {
        out.put(k, line.substring(eq + 3).strip());
      }
    }
    return out;
  }

  /**
   * Kills every daemon with SIGKILL (the dataplane stays as they programmed it) and measures
   * ours against the reference again: if ours was slower only while the daemons ran, the
   * difference is CPU taken from iperf3 on this 2-core machine, not the dataplane.
   */
  private static void afterDaemonsKilled(LabCluster lab, Side ours, Side ref, int runs, int seconds) {
    for (LabNode n : lab.nodes()) {
      lab.killDaemon(n);
    }
    System.out.println("\n-- the same lab after SIGKILL of both daemons (dataplane left as programmed; the store still runs)");
    Side oursKilled = new Side(ours.label + ", daemons killed", ours.from, ours.to);
    Side ref2 = new Side(ref.label + ", again", ref.from, ref.to);
    List<Side> sides = List.of(oursKilled, ref2);
    measureWithBackground(lab, sides, runs, seconds);
    report(sides, ref2);
  }

  // ---- measuring -----------------------------------------------------------------------

  /**
   * {@link #measure}, printing the CPU time the lab's own processes (daemons, store, and the
   * children they waited for) used meanwhile: CPU that iperf3 did not get on a small machine.
   */
  private static void measureWithBackground(LabCluster lab, List<Side> sides, int runs, int seconds) {
    List<Long> pids = new ArrayList<>();
    for (String ns : LabJanitor.listNamespaces()) {
      if (ns.startsWith(lab.spec().namespacePrefix())) {
        for (String p : Exec.run("ip", "netns", "pids", ns).stdout().split("\\s+")) {
          if (!p.isBlank()) {
            pids.add(Long.parseLong(p.strip()));
          }
        }
      }
    }
    long ticks0 = ticks(pids);
    long t0 = System.nanoTime();
    measure(sides, runs, seconds);
    double wall = (System.nanoTime() - t0) / 1e9;
    double cpu = (ticks(pids) - ticks0) / 100.0;
    System.out.printf(Locale.ROOT, "lab processes (%d: daemons, store) used %.2f s CPU during the %.0f s of measuring"
        + " (%.1f %% of one core)%n", pids.size(), cpu, wall, 100 * cpu / wall);
  }

  /** utime + stime + cutime + cstime of the live processes, in clock ticks (USER_HZ = 100). */
  private static long ticks(List<Long> pids) {
    long sum = 0;
    for (long pid : pids) {
      try {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        // After the command: state(0) ... utime(11) stime(12) cutime(13) cstime(14).
        sum += Long.parseLong(f[11]) + Long.parseLong(f[12]) + Long.parseLong(f[13]) + Long.parseLong(f[14]);
      } catch (IOException | RuntimeException e) {
        // the process is gone (a killed daemon): it no longer takes CPU
      }
    }
    return sum;
  }

  /** RUNS rounds; each round measures every side once, the order rotating from round to round. */
  private static void measure(List<Side> sides, int runs, int seconds) {
    for (Side s : sides) {
      Exec.Result r = Exec.runIn(s.from.netns(), "ping", "-c", "1", "-W", "3", s.to.ip());
      if (!r.ok()) {
        throw new LabException(s.label + ": " + s.from.ip() + " cannot ping " + s.to.ip() + ": " + r.stdout());
      }
    }
    for (int round = 0; round < runs; round++) {
      for (int j = 0; j < sides.size(); j++) {
        Side s = sides.get((j + round) % sides.size());
        Run run = iperfRetrying(s, seconds);
        s.runs.add(run);
        System.out.printf(Locale.ROOT, "round %d  %-70s %6.2f Gbit/s  retr %5d  cpu snd %4.0f%% rcv %4.0f%%  load %s%n",
            round + 1, s.label, run.bps / 1e9, run.retransmits, run.senderCpu, run.receiverCpu, load());
      }
    }
  }

  /**
   * {@link #iperf}, retried up to twice when iperf3 reports an error or moved no data (seen once
   * on the loaded machine, with ping working); each failure is printed, never counted as 0.
   */
  private static Run iperfRetrying(Side s, int seconds) {
    for (int attempt = 1; ; attempt++) {
      try {
        return iperf(s.from, s.to, seconds);
      } catch (LabException e) {
        if (attempt == 3) {
          throw e;
        }
        System.out.println("  " + s.label + ": attempt " + attempt + " failed, retrying: " + e.getMessage());
      }
    }
  }

  /** One iperf3 TCP run of {@code seconds} s (after 1 s omitted for slow start). */
  static Run iperf(Pod from, Pod to, int seconds) {
    Process server;
    try {
      server = new ProcessBuilder(Exec.inNetns(to.netns(), "iperf3", "-s", "-1", "-B", to.ip()))
          .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    } catch (IOException e) {
      throw new LabException("cannot start iperf3 server in " + to.netns() + ": " + e.getMessage(), e);
    }
    try {
      Exec.Result r = null;
      for (int i = 0; i < 50; i++) {
        r = Exec.run(Exec.inNetns(from.netns(), "iperf3", "-J", "-c", to.ip(), "-t",
            Integer.toString(seconds), "-O", "1"), null, Map.of(), Duration.ofSeconds(seconds + 30L));
        // iperf3 -J reports "unable to connect" (server not listening yet) in its JSON and
        // may still exit 0, so both are checked before retrying.
        if (r.ok() && !r.stdout().contains("\"error\":")) {
          break;
        }
        Thread.sleep(100);
      }
      r.check();
      JsonNode j = JSON.readTree(r.stdout());
      if (j.hasNonNull("error") || j.at("/end/sum_received/bits_per_second").asDouble() <= 0) {
        throw new LabException("iperf3 " + from.ip() + " -> " + to.ip() + " transferred nothing: "
            + j.path("error").asText(r.stdout().substring(0, Math.min(2000, r.stdout().length()))));
      }
      return new Run(j.at("/end/sum_received/bits_per_second").asDouble(),
          j.at("/end/sum_sent/retransmits").asLong(),
          j.at("/end/cpu_utilization_percent/host_total").asDouble(),
          j.at("/end/cpu_utilization_percent/remote_total").asDouble());
    } catch (IOException e) {
      throw new LabException("iperf3 output from " + from.netns() + " is not JSON", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new LabException("interrupted", e);
    } finally {
      server.destroy();
    }
  }

  private static void report(List<Side> sides, Side reference) {
    System.out.println();
    System.out.println("| side | runs (Gbit/s) | median | retransmits (median) | ratio to reference |");
    System.out.println("|---|---|---:|---:|---:|");
    for (Side s : sides) {
      StringBuilder runs = new StringBuilder();
      for (Run r : s.runs) {
        runs.append(runs.length() == 0 ? "" : " / ").append(String.format(Locale.ROOT, "%.2f", r.bps / 1e9));
      }
      System.out.printf(Locale.ROOT, "| %s | %s | %.2f Gbit/s | %.0f | %s |%n", s.label, runs, s.medianGbps(),
          s.medianRetransmits(), s == reference ? "reference"
              : String.format(Locale.ROOT, "%.3f", s.medianGbps() / reference.medianGbps()));
    }
    System.out.println("load average after: " + load());
  }

  // ---- small helpers -------------------------------------------------------------------

  static double median(double[] values) {
    double[] v = values.clone();
    java.util.Arrays.sort(v);
    int n = v.length;
    return n == 0 ? Double.NaN : n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  }

  private static String load() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException e) {
      return "?";
    }
  }

  private static int positive(String text, String what) {
    try {
      int v = Integer.parseInt(text);
      if (v > 0) {
        return v;
      }
    } catch (NumberFormatException e) {
      // falls through to the error below
    }
    throw new IllegalArgumentException(what + " '" + text + "' must be a positive integer");
  }
}
