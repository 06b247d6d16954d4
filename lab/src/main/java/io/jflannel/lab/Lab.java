package io.jflannel.lab;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code lab} command: brings up N flannel nodes as network namespaces with a real store,
 * one real flanneld per node and two pods per node, prints the nodes, pods and a pod-to-pod
 * reachability matrix, and tears everything down (unless {@code --keep}). Exit status 0 only
 * when every pod reached every other pod.
 */
@Command(name = "lab", mixinStandardHelpOptions = true,
    description = "Run several flannel nodes as network namespaces and prove pod-to-pod reachability.",
    subcommands = {Lab.Down.class})
public final class Lab implements Callable<Integer> {
  /** The lab's fixed name: namespaces jfl-lab-sw, jfl-lab-n1, ... */
  public static final String NAME = "jfl-lab";

  @Option(names = "--nodes", defaultValue = "3", description = "number of nodes (default ${DEFAULT-VALUE})")
  int nodes;

  @Option(names = "--backend", defaultValue = "vxlan", converter = BackendConverter.class,
      description = "vxlan, host-gw, udp, extension (upstream's host-gw-like example commands) or alloc (leases and"
          + " subnet.env only, no pod traffic between nodes) (default ${DEFAULT-VALUE})")
  LabBackend backend;

  @Option(names = "--store", defaultValue = "etcd", converter = StoreConverter.class,
      description = "etcd or kube (default ${DEFAULT-VALUE})")
  LabStoreKind store;

  @Option(names = "--keep", description = "leave the lab running; remove it later with 'lab down'")
  boolean keep;

  @Option(names = "--flanneld", defaultValue = "daemon/target/flanneld",
      description = "the flanneld launcher (default ${DEFAULT-VALUE})")
  Path flanneld;

  @Option(names = "--cni-path", defaultValue = "/usr/lib/cni",
      description = "directory with the CNI bridge and host-local plugins (default ${DEFAULT-VALUE})")
  Path cniPath;

  @Option(names = "--iperf", description = "also measure TCP throughput between the first and the last pod (iperf3)")
  boolean iperf;

  @Option(names = "--pods-per-node", defaultValue = "2", description = "pods per node (default ${DEFAULT-VALUE})")
  int podsPerNode;

  @Option(names = "--image", paramLabel = "REF",
      description = "run every node's flanneld from this container image (ID or name in podman's local storage)"
          + " as kube-flannel's DaemonSet runs it; scripts/lab.sh --image builds and names it")
  String image;

  /** Entry point. */
  public static void main(String[] args) {
    System.exit(new CommandLine(new Lab()).execute(args));
  }

  @Override
  public Integer call() {
    PrintStream out = System.out;
    List<String> missing = LabPrerequisites.missing(cniPath, store, image != null);
    if (!missing.isEmpty()) {
      System.err.println("lab: missing prerequisites: " + String.join(", ", missing)
          + " (run scripts/install-deps.sh as root)");
      return 2;
    }
    LabSpec spec = new LabSpec(NAME, nodes, podsPerNode, backend, store, "10.244.0.0/16",
        flanneld.toAbsolutePath(), cniPath, System.getProperty("java.class.path"),
        LabSpec.STATE_DIR, List.of(), image);
    out.printf("lab: %d node(s), backend %s, store %s%s%n", nodes, backend, store,
        image == null ? "" : ", flanneld from image " + image);
    LabCluster[] holder = new LabCluster[1];
    boolean[] finished = new boolean[1];
    Thread hook = new Thread(() -> {
      // Ctrl-C: remove the lab unless it was meant to stay.
      if (!finished[0] && holder[0] != null && !keep) {
        System.err.println("lab: interrupted, tearing down");
        holder[0].close();
      }
    }, "lab-teardown");
    Runtime.getRuntime().addShutdownHook(hook);
    LabCluster lab = null;
    try {
      lab = LabCluster.up(spec, out);
      holder[0] = lab;
      out.println();
      out.print(lab.table());
      out.println();
      try {
        Duration took = lab.awaitConverged(Duration.ofSeconds(60));
        out.printf(java.util.Locale.ROOT,
            "routes: every node holds exactly its peers' entries (%.2f s after the last pod)%n",
            took.toMillis() / 1000.0);
      } catch (LabException e) {
        out.println("routes: " + e.getMessage());
      }
      if (!backend.carriesPodTraffic()) {
        return allocReport(lab, out);
      }
      ReachabilityMatrix matrix = lab.reachability();
      out.println();
      out.print(matrix.render());
      if (iperf && matrix.allReachable() && lab.pods().size() > 1) {
        Pod a = lab.pods().get(0);
        Pod b = lab.pods().get(lab.pods().size() - 1);
        double bps = Throughput.measure(a, b, 3);
        out.printf(java.util.Locale.ROOT, "iperf3 %s -> %s: %.2f Gbit/s%n", a.name(), b.name(),
            bps / 1e9);
      }
      if (!matrix.allReachable()) {
        out.println("unreachable: " + String.join("; ", matrix.failures()));
        for (LabNode n : lab.nodes()) {
          out.println(lab.daemon(n).logTail(15));
        }
      }
      if (keep) {
        lab.detach();
        out.println();
        out.println("kept: state in " + lab.stateFile() + ", logs in " + lab.workDir());
        out.println("try:  ip netns exec " + spec.podNetns(1, 1) + " ping "
            + lab.pods().get(lab.pods().size() - 1).ip());
        out.println("stop: scripts/lab.sh down");
      }
      return matrix.allReachable() ? 0 : 1;
    } catch (LabException e) {
      System.err.println("lab: " + e.getMessage());
      for (Throwable s : e.getSuppressed()) {
        System.err.println("lab: also: " + s.getMessage());
      }
      return 1;
    } finally {
      try {
        if (lab != null && !keep) {
          lab.close();
          out.println("lab removed");
        }
      } finally {
        finished[0] = true;
      }
    }
  }

  /**
   * The alloc backend's report: it programs nothing, so pods on different nodes are not
   * expected to reach each other; what must hold is one lease per node, each in Network and
   * none shared, written to the node's subnet.env.
   *
   * @return 0 when that holds, else 1
   */
  int allocReport(LabCluster lab, PrintStream out) {
    List<String> problems = allocProblems(lab);
    out.println();
    out.println("reachability: not checked: the alloc backend programs nothing, so pods on different nodes are"
        + " not expected to reach each other");
    if (problems.isEmpty()) {
      out.printf("leases: %d nodes, each with its own subnet in %s written to subnet.env%n", lab.nodes().size(),
          lab.spec().network());
    } else {
      out.println("leases: " + String.join("; ", problems));
    }
    if (keep) {
      lab.detach();
      out.println("kept: state in " + lab.stateFile() + ", logs in " + lab.workDir());
      out.println("stop: scripts/lab.sh down");
    }
    return problems.isEmpty() ? 0 : 1;
  }

  /** What is wrong with the nodes' subnet.env files, empty when each has its own subnet in Network. */
  static List<String> allocProblems(LabCluster lab) {
    List<String> problems = new java.util.ArrayList<>();
    java.util.Map<String, Integer> seen = new java.util.HashMap<>();
    var network = new inet.ipaddr.IPAddressString(lab.spec().network()).getAddress();
    for (LabNode n : lab.nodes()) {
      SubnetEnv env = lab.subnetEnv(n);
      String subnet = env == null ? null : env.subnetBlock().map(Object::toString).orElse(null);
      if (subnet == null) {
        problems.add("node " + n.index() + " has no FLANNEL_SUBNET in subnet.env");
        continue;
      }
      if (!network.contains(new inet.ipaddr.IPAddressString(subnet).getAddress())) {
        problems.add("node " + n.index() + ": subnet " + subnet + " is outside " + network);
      }
      Integer other = seen.put(subnet, n.index());
      if (other != null) {
        problems.add("nodes " + other + " and " + n.index() + " share " + subnet);
      }
    }
    return problems;
  }

  /** {@code lab down}: removes a kept (or crashed) lab. */
  @Command(name = "down", mixinStandardHelpOptions = true,
      description = "Remove a lab left by --keep or by a crash.")
  static final class Down implements Callable<Integer> {
    @Override
    public Integer call() {
      if (!LabPrerequisites.isRoot()) {
        System.err.println("lab down: needs root");
        return 2;
      }
      List<String> done = LabJanitor.clean(LabSpec.STATE_DIR, NAME);
      if (done.isEmpty()) {
        System.out.println("no lab to remove");
      }
      done.forEach(System.out::println);
      return 0;
    }
  }

  static final class BackendConverter implements CommandLine.ITypeConverter<LabBackend> {
    @Override
    public LabBackend convert(String value) {
      return LabBackend.parse(value);
    }
  }

  static final class StoreConverter implements CommandLine.ITypeConverter<LabStoreKind> {
    @Override
    public LabStoreKind convert(String value) {
      return LabStoreKind.parse(value);
    }
  }
}
