package io.jflannel.e2e.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jflannel.lab.Exec;
import io.jflannel.lab.LabBackend;
import io.jflannel.lab.LabCluster;
import io.jflannel.lab.LabException;
import io.jflannel.lab.LabNode;
import io.jflannel.lab.LabStoreKind;
import io.jflannel.lab.PeerDataplane;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Kernel faults (issue 7 part 3): someone else removes what the running daemon programmed —
 * the VXLAN device, a route, a neighbour, an FDB entry, an iptables rule — and the daemon puts
 * it back; each restoration is timed. Last, the xtables lock is held by another process while
 * the daemon starts: its rules go in once the lock is free and it does not crash.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KernelFaultsIT {
  /** Event-driven repairs; the periodic resync (60 s) must not be what fixes them. */
  static final Duration NETLINK_REPAIR = Duration.ofSeconds(5);
  /** iptables is checked every --iptables-resync (5 s by default) seconds. */
  static final Duration RULE_REPAIR = Duration.ofSeconds(12);

  LabCluster lab;
  LabNode node;
  LabNode peer;
  final Map<String, Duration> latencies = new LinkedHashMap<>();

  @BeforeAll
  void up() {
    lab = FaultSupport.up("kern", 2, 0, LabBackend.VXLAN, LabStoreKind.ETCD, "10.244.0.0/16",
        List.of());
    node = lab.nodes().get(0);
    peer = lab.nodes().get(1);
    lab.awaitConverged(Duration.ofSeconds(30));
  }

  @AfterAll
  void down() {
    if (!latencies.isEmpty()) {
      System.out.println("Repair latency (daemon), time from the removal to the object back:");
      latencies.forEach((what, d) -> System.out.printf("  %-28s %6.1f ms%n", what,
          d.toNanos() / 1e6));
    }
    if (lab != null) {
      lab.close();
    }
  }

  private void timed(String what, Duration limit, Runnable remove, java.util.function.BooleanSupplier back) {
    PeerDataplane before = lab.observedOn(node);
    remove.run();
    Duration d = FaultSupport.timeUntil(what + " restored on " + node.name(), limit, back);
    latencies.put(what, d);
    System.out.printf("%s restored in %.1f ms%n", what, d.toNanos() / 1e6);
    lab.awaitConverged(Duration.ofSeconds(10));
    assertEquals(before, lab.observedOn(node), "everything is back as it was after " + what);
    assertTrue(lab.daemon(node).running(), "the daemon still runs");
  }

  private String peerSubnet() {
    return lab.subnet(peer);
  }

  private String peerGateway() {
    return peerSubnet().replaceAll("\\.0/\\d+$", ".0");
  }

  private String peerMac() {
    return PeerDataplane.vtepMac(peer.netns()).orElseThrow();
  }

  private static boolean nonEmpty(String... cmd) {
    Exec.Result r = Exec.run(cmd);
    return r.ok() && !r.stdout().isBlank();
  }

  @Test
  @Order(1)
  void deletedRouteIsRestored() {
    String dst = peerSubnet();
    timed("route", NETLINK_REPAIR,
        () -> Exec.check("ip", "-n", node.netns(), "route", "del", dst, "dev", "flannel.1"),
        () -> nonEmpty("ip", "-n", node.netns(), "route", "show", dst, "dev", "flannel.1"));
  }

  @Test
  @Order(2)
  void deletedNeighbourIsRestored() {
    String gw = peerGateway();
    timed("neighbour", NETLINK_REPAIR,
        () -> Exec.check("ip", "-n", node.netns(), "neigh", "del", gw, "dev", "flannel.1"),
        () -> Exec.run("ip", "-n", node.netns(), "neigh", "show", gw, "dev", "flannel.1")
            .stdout().contains("PERMANENT"));
  }

  @Test
  @Order(3)
  void deletedFdbEntryIsRestored() {
    String mac = peerMac();
    String dst = peer.underlayIp();
    timed("fdb entry", NETLINK_REPAIR,
        () -> Exec.runIn(node.netns(), "bridge", "fdb", "del", mac, "dev", "flannel.1", "dst",
            dst).check(),
        () -> Exec.runIn(node.netns(), "bridge", "fdb", "show", "dev", "flannel.1").stdout()
            .contains(mac + " dst " + dst));
  }

  @Test
  @Order(4)
  void deletedVxlanDeviceIsRecreatedWithEverythingOnIt() {
    PeerDataplane want = lab.expectedOn(node);
    String mac = PeerDataplane.vtepMac(node.netns()).orElseThrow();
    timed("vxlan device (all entries)", NETLINK_REPAIR,
        () -> Exec.check("ip", "-n", node.netns(), "link", "del", "flannel.1"),
        () -> Exec.run("ip", "-n", node.netns(), "link", "show", "flannel.1").ok()
            && lab.observedOn(node).equals(want));
    assertEquals(mac, PeerDataplane.vtepMac(node.netns()).orElseThrow(),
        "the device keeps its MAC (peers know it)");
  }

  @Test
  @Order(5)
  void deletedIptablesRuleIsRestored() {
    String rules = FaultSupport.flannelRules(node);
    String victim = Exec.runIn(node.netns(), "iptables", "-t", "nat", "-S", "FLANNEL-POSTRTG")
        .check().stdout().lines().filter(l -> l.startsWith("-A ")).findFirst().orElseThrow();
    List<String> delete = new ArrayList<>(List.of("iptables", "-t", "nat", "-D"));
    delete.addAll(shellWords(victim.substring(3)));
    timed("iptables rule", RULE_REPAIR,
        () -> Exec.runIn(node.netns(), delete.toArray(String[]::new)).check(),
        () -> FaultSupport.flannelRules(node).equals(rules));
  }

  @Test
  @Order(6)
  void deletedMasqueradeJumpIsRestored() {
    String rules = FaultSupport.flannelRules(node);
    timed("iptables jump", RULE_REPAIR,
        () -> Exec.runIn(node.netns(), "iptables", "-t", "nat", "-D", "POSTROUTING", "-m",
            "comment", "--comment", "flanneld masq", "-j", "FLANNEL-POSTRTG").check(),
        () -> FaultSupport.flannelRules(node).equals(rules));
  }

  /**
   * Another process holds the xtables lock while the daemon (re)starts. The machine's
   * iptables is the nf_tables variant, which ignores the lock, so the daemon here runs the
   * legacy variant (the one that honours {@code --wait}) through a PATH directory, and both it
   * and the lock holder use a lock file private to this lab ({@code XTABLES_LOCKFILE}), never
   * the machine-wide /run/xtables.lock.
   */
  @Test
  @Order(10)
  void heldXtablesLockDelaysRulesWithoutACrash() throws Exception {
    Path bin = lab.workDir().resolve("legacy-bin");
    Files.createDirectories(bin);
    for (String tool : List.of("iptables", "iptables-save", "iptables-restore", "ip6tables",
        "ip6tables-save", "ip6tables-restore")) {
      Path link = bin.resolve(tool);
      Files.deleteIfExists(link);
      Files.createSymbolicLink(link, Path.of("/usr/sbin/xtables-legacy-multi"));
    }
    Path lock = lab.workDir().resolve("xtables.lock");
    Path log = lab.workDir().resolve("legacy-daemon.log");
    List<String> command = lab.daemon(peer).command();
    lab.daemon(peer).stop();

    // The holder gives the lock up after 45 s at the latest; normally it is killed sooner.
    Process holder = new ProcessBuilder("flock", "-o", lock.toString(), "sleep", "45")
        .redirectErrorStream(true).start();
    Process daemon = null;
    try {
      FaultSupport.timeUntil("lock taken", Duration.ofSeconds(5), () -> !Exec.run("flock", "-n",
          lock.toString(), "true").ok());
      ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(log.toFile());
      pb.environment().put("XTABLES_LOCKFILE", lock.toString());
      pb.environment().put("FLANNELD_IPTABLES_MODE", "legacy"); // the flavour that takes this lock
      pb.environment().put("PATH", bin + ":" + System.getenv().getOrDefault("PATH",
          "/usr/sbin:/usr/bin:/sbin:/bin"));
      daemon = pb.start();
      FaultSupport.timeUntil("the daemon blocked in iptables-restore --wait", Duration.ofSeconds(40),
          () -> waitingForLock(peer));
      FaultSupport.sleep(3000);
      assertTrue(daemon.isAlive(), "the daemon waits for the lock instead of dying:\n"
          + Files.readString(log));
      assertTrue(waitingForLock(peer), "still waiting for the lock after 3 s");
      assertEquals("", legacyFlannelRules(peer), "no rules while another process holds the lock");

      long t0 = System.nanoTime();
      stopTree(holder);
      Duration applied = FaultSupport.timeUntil("legacy rules after the lock was released",
          Duration.ofSeconds(30), () -> !legacyFlannelRules(peer).isEmpty());
      System.out.printf("rules applied %d ms after the xtables lock was released%n",
          applied.toMillis());
      latencies.put("rules after lock released", Duration.ofNanos(System.nanoTime() - t0));
      assertTrue(legacyFlannelRules(peer).contains("MASQUERADE"), legacyFlannelRules(peer));
      FaultSupport.sleep(2000);
      assertTrue(daemon.isAlive(), "the daemon runs on:\n" + Files.readString(log));
    } finally {
      stopTree(holder);
      if (daemon != null) {
        stopTree(daemon);
      }
    }
  }

  /**
   * Whether an {@code iptables-restore ... --wait} runs in {@code node}'s namespace, read from
   * /proc (the JDK's ProcessHandle.Info comes back empty on this kernel).
   */
  private static boolean waitingForLock(LabNode node) {
    for (String pid : Exec.run("ip", "netns", "pids", node.netns()).stdout().split("\\s+")) {
      if (pid.isBlank()) {
        continue;
      }
      try {
        String cmd = new String(Files.readAllBytes(Path.of("/proc", pid, "cmdline")),
            java.nio.charset.StandardCharsets.UTF_8).replace('\0', ' ');
        if (cmd.contains("iptables") && cmd.contains("-restore") && cmd.contains("--wait")) {
          return true;
        }
      } catch (java.io.IOException e) {
        // the process ended meanwhile
      }
    }
    return false;
  }

  private static String legacyFlannelRules(LabNode n) {
    StringBuilder sb = new StringBuilder();
    for (String line : Exec.runIn(n.netns(), "iptables-legacy-save", "-t", "nat").check().stdout()
        .split("\n")) {
      if (line.startsWith("-A") && line.contains("FLANNEL")) {
        sb.append(line).append('\n');
      }
    }
    return sb.toString();
  }

  private static void stopTree(Process p) throws InterruptedException {
    List<ProcessHandle> tree = new ArrayList<>(p.descendants().toList());
    tree.add(0, p.toHandle());
    tree.forEach(ProcessHandle::destroy);
    if (!p.waitFor(20, TimeUnit.SECONDS)) {
      tree.forEach(ProcessHandle::destroyForcibly);
      p.waitFor(10, TimeUnit.SECONDS);
    }
  }

  /** Splits an iptables -S rule into words, keeping double-quoted comments whole. */
  static List<String> shellWords(String rule) {
    List<String> out = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    boolean quoted = false;
    boolean any = false;
    for (char c : rule.toCharArray()) {
      if (c == '"') {
        quoted = !quoted;
        any = true;
      } else if (c == ' ' && !quoted) {
        if (any) {
          out.add(cur.toString());
        }
        cur.setLength(0);
        any = false;
      } else {
        cur.append(c);
        any = true;
      }
    }
    if (quoted) {
      throw new LabException("unbalanced quotes in iptables rule: " + rule);
    }
    if (any) {
      out.add(cur.toString());
    }
    return out;
  }
}
