package io.jflannel.e2e.fault;

import io.jflannel.lab.Exec;
import io.jflannel.lab.LabBackend;
import io.jflannel.lab.LabCluster;
import io.jflannel.lab.LabException;
import io.jflannel.lab.LabJanitor;
import io.jflannel.lab.LabNode;
import io.jflannel.lab.LabSpec;
import io.jflannel.lab.LabStoreKind;
import io.jflannel.lab.LabTestSupport;
import io.jflannel.lab.PeerDataplane;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;

/**
 * Shared by the fault suite: lab names ({@code jfl-flt-<tag>-<hex>}), the outage length, and
 * faults injected from inside the lab's switch namespace with iptables (the machine's own
 * namespace is never touched): per-node SYN counters towards the store port and cuts that
 * reset every connection of one node to the store and refuse new ones.
 */
final class FaultSupport {
  /** Prefix of every lab the fault suite creates. */
  static final String PREFIX = "jfl-flt-";

  private FaultSupport() {}

  /** Brings up a test lab {@code jfl-flt-<tag>-<hex>} after sweeping orphans of dead runs. */
  static LabCluster up(String tag, int nodes, int pods, LabBackend backend, LabStoreKind store,
      String network, List<String> extraArgs) {
    LabTestSupport.requirePrerequisites(store, true);
    LabJanitor.cleanOrphans(LabSpec.STATE_DIR, PREFIX);
    String name = PREFIX + tag + "-" + Integer.toHexString(0x1000
        + ThreadLocalRandom.current().nextInt(0xf000));
    LabSpec base = LabTestSupport.spec(name, nodes, backend, store);
    LabSpec spec = new LabSpec(base.name(), nodes, pods, backend, store, network, base.flanneld(),
        base.cniPath(), base.javaClasspath(), base.stateDir(), extraArgs);
    return LabCluster.up(spec, System.out);
  }

  /**
   * How long a store stays unreachable: {@code -Djflannel.fault.outage=<seconds>}, 30 s by
   * default (the reliability target); shorter values keep a local iteration quick.
   */
  static Duration outage() {
    return Duration.ofSeconds(Long.getLong("jflannel.fault.outage", 30));
  }

  /** Runs {@code iptables} (with {@code -w}) inside the lab's switch namespace. */
  static Exec.Result switchIptables(LabCluster lab, String... args) {
    List<String> cmd = new ArrayList<>(List.of("iptables", "-w"));
    cmd.addAll(List.of(args));
    return Exec.runIn(lab.spec().switchNetns(), cmd.toArray(String[]::new)).check();
  }

  /** Counts new TCP connections (SYNs) from {@code node} to {@code port} on the switch. */
  static void addSynCounter(LabCluster lab, LabNode node, int port) {
    switchIptables(lab, "-I", "INPUT", "1", "-s", node.underlayIp(), "-p", "tcp", "--syn",
        "--dport", Integer.toString(port), "-m", "comment", "--comment", synTag(node, port));
  }

  /** Connection attempts counted so far by {@link #addSynCounter}. */
  static long synCount(LabCluster lab, LabNode node, int port) {
    String tag = synTag(node, port);
    for (String line : switchIptables(lab, "-n", "-v", "-x", "-L", "INPUT").stdout().split("\n")) {
      if (line.contains("/* " + tag + " */")) {
        return Long.parseLong(line.strip().split("\\s+")[0]);
      }
    }
    throw new LabException("no SYN counter " + tag + " in " + lab.spec().switchNetns());
  }

  private static String synTag(LabNode node, int port) {
    return "jfl-syn-" + node.name() + "-" + port;
  }

  /**
   * Makes the store on {@code port} unreachable for {@code node}: new connections are answered
   * with a reset, packets of existing ones are rejected in both directions, and the store's
   * sockets to the node are destroyed, as when the API server or etcd goes away.
   */
  static void cut(LabCluster lab, LabNode node, int port) {
    String p = Integer.toString(port);
    switchIptables(lab, "-A", "INPUT", "-s", node.underlayIp(), "-p", "tcp", "--dport", p,
        "-m", "comment", "--comment", cutTag(node, port), "-j", "REJECT", "--reject-with",
        "tcp-reset");
    // Abort the store's side of every connection: the kernel sends the node a reset, so
    // neither end keeps a half-open stream (before the OUTPUT rule, which would eat the RST).
    Exec.runIn(lab.spec().switchNetns(), "ss", "-K", "dst", node.underlayIp(), "sport", "=",
        ":" + p).check();
    switchIptables(lab, "-A", "OUTPUT", "-d", node.underlayIp(), "-p", "tcp", "--sport", p,
        "-m", "comment", "--comment", cutTag(node, port), "-j", "REJECT", "--reject-with",
        "tcp-reset");
  }

  /** Undoes {@link #cut}. */
  static void heal(LabCluster lab, LabNode node, int port) {
    String p = Integer.toString(port);
    switchIptables(lab, "-D", "INPUT", "-s", node.underlayIp(), "-p", "tcp", "--dport", p,
        "-m", "comment", "--comment", cutTag(node, port), "-j", "REJECT", "--reject-with",
        "tcp-reset");
    switchIptables(lab, "-D", "OUTPUT", "-d", node.underlayIp(), "-p", "tcp", "--sport", p,
        "-m", "comment", "--comment", cutTag(node, port), "-j", "REJECT", "--reject-with",
        "tcp-reset");
  }

  private static String cutTag(LabNode node, int port) {
    return "jfl-cut-" + node.name() + "-" + port;
  }

  /**
   * Everything flannel owns in a node's kernel, as text: peer routes, neighbours and FDB
   * entries, the VXLAN device's identity and the FLANNEL iptables chains (counters dropped).
   */
  static String kernelDump(LabCluster lab, LabNode node) {
    PeerDataplane peers = lab.observedOn(node);
    StringBuilder sb = new StringBuilder();
    sb.append("routes ").append(peers.routes()).append('\n');
    sb.append("neighbours ").append(peers.neighbours()).append('\n');
    sb.append("fdb ").append(peers.fdb()).append('\n');
    if (lab.spec().backend() == LabBackend.VXLAN) {
      Exec.Result link = Exec.run("ip", "-n", node.netns(), "-d", "-o", "link", "show",
          PeerDataplane.VXLAN_DEVICE);
      // ifindex + details say whether the device was recreated; the state may flap harmlessly.
      sb.append("device ").append(link.ok() ? link.stdout().replaceAll("\\\\.*$", "")
          .replaceAll("state \\S+", "").strip() : "missing").append('\n');
    }
    sb.append(flannelRules(node));
    return sb.toString();
  }

  /** The FLANNEL-* rules (and jumps to them) of the nat and filter tables of a node. */
  static String flannelRules(LabNode node) {
    StringBuilder sb = new StringBuilder();
    for (String table : List.of("nat", "filter")) {
      for (String line : Exec.runIn(node.netns(), "iptables-save", "-t", table).check().stdout()
          .split("\n")) {
        if (line.contains("FLANNEL")) {
          sb.append(table).append(": ").append(line).append('\n');
        }
      }
    }
    return sb.toString();
  }

  /**
   * Polls {@code done} until it holds and returns how long that took, or throws after
   * {@code limit} naming {@code what}.
   */
  static Duration timeUntil(String what, Duration limit, BooleanSupplier done) {
    long t0 = System.nanoTime();
    long deadline = t0 + limit.toNanos();
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(what + " did not happen within " + limit.toSeconds() + " s");
      }
      sleep(5);
    }
    return Duration.ofNanos(System.nanoTime() - t0);
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new LabException("interrupted", e);
    }
  }
}
