package io.jflannel.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jflannel.daemon.testing.NetnsEtcd;
import io.jflannel.daemon.testing.TestNetns;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged daemon's rules mode on a host namespace with a real etcd: the iptables flavour
 * it picks (and the flag that overrides it), the other mode's rules removed when
 * {@code EnableNFTables} is switched, and a host without iptables refused before any lease is
 * taken, with one line.
 */
class RulesModeIT {
  static final String PREFIX = "/jfl-rules";
  static final String CONFIG = "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}%s}";

  @TempDir Path dir;
  TestNetns ns;
  NetnsEtcd etcd;
  int runs;

  @BeforeEach
  void host() throws Exception {
    ns = TestNetns.createWithPrefix("jfl-rm-", "etcd", "etcdctl", "nft", "iptables-nft-save", "iptables-legacy-save");
    ns.run("ip", "link", "set", "lo", "up");
    ns.run("ip", "link", "add", "eth0", "type", "veth", "peer", "name", "eth0-peer");
    ns.run("ip", "addr", "add", "192.0.2.10/24", "dev", "eth0");
    ns.run("ip", "link", "set", "eth0", "up");
    ns.run("ip", "link", "set", "eth0-peer", "up");
    etcd = NetnsEtcd.start(ns.name());
    etcd.put(PREFIX + "/config", CONFIG.formatted(""));
  }

  @AfterEach
  void cleanup() throws Exception {
    try {
      if (etcd != null) {
        etcd.close();
      }
    } finally {
      if (ns != null) {
        ns.close();
      }
    }
  }

  record Run(Process process, Path log) {
    String text() throws IOException {
      return Files.readString(log, StandardCharsets.UTF_8);
    }
  }

  Run start(Map<String, String> env, String... more) throws IOException {
    Path log = dir.resolve("run" + (++runs) + ".log");
    // `ip` by absolute path: the child's PATH may be cut down on purpose
    List<String> cmd = new ArrayList<>(List.of(ipCommand(), "netns", "exec", ns.name(),
        FatalStartIT.LAUNCHER.toString(), "--etcd-endpoints", NetnsEtcd.ENDPOINT, "--etcd-prefix", PREFIX,
        "--iface", "eth0", "--ip-masq", "--subnet-file", dir.resolve("subnet.env").toString()));
    cmd.addAll(List.of(more));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("FLANNELD_"));
    pb.environment().putAll(env);
    return new Run(pb.start(), log);
  }

  static String ipCommand() {
    for (String d : List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin")) {
      if (Files.isExecutable(Path.of(d, "ip"))) {
        return d + "/ip";
      }
    }
    return "ip";
  }

  /** Waits for the ready line; fails with the log when the daemon exits first. */
  void awaitReady(Run r) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      if (r.text().contains("] Running backend.")) {
        return;
      }
      if (!r.process().isAlive()) {
        throw new AssertionError("daemon exited " + r.process().exitValue() + ":\n" + r.text());
      }
      Thread.sleep(200);
    }
    throw new AssertionError("daemon not ready within 60 s:\n" + r.text());
  }

  /** SIGTERM by PID (ip netns exec and the launcher exec in place); returns the exit status. */
  static int stop(Run r) throws InterruptedException {
    r.process().destroy();
    if (!r.process().waitFor(30, TimeUnit.SECONDS)) {
      r.process().destroyForcibly();
      r.process().waitFor();
      return -1;
    }
    return r.process().exitValue();
  }

  /** Starts, waits until ready, stops cleanly; returns the log. */
  String runOnce(Map<String, String> env, String... more) throws Exception {
    Run r = start(env, more);
    try {
      awaitReady(r);
    } finally {
      assertEquals(0, stop(r), "exit status after SIGTERM:\n" + r.text());
    }
    return r.text();
  }

  @Test
  void switchingEnableNFTablesLeavesOnlyTheCurrentModesRules() throws Exception {
    String first = runOnce(Map.of());
    assertTrue(first.contains("iptables mode: iptables-nft (auto: the host has no iptables rules yet; nft is the default)"),
        first);
    assertTrue(ns.run("iptables-nft-save", "-t", "nat").contains(":FLANNEL-POSTRTG"));
    assertFalse(ns.run("nft", "list", "tables").contains("flannel-ipv4"));

    etcd.put(PREFIX + "/config", CONFIG.formatted(",\"EnableNFTables\":true"));
    String second = runOnce(Map.of());
    assertTrue(second.contains("removed rules of the unused mode (now nftables)"), second);
    assertFalse(ns.run("iptables-nft-save").contains("FLANNEL"), ns.run("iptables-nft-save"));
    String table = ns.run("nft", "list", "table", "ip", "flannel-ipv4");
    assertTrue(table.contains("chain postrtg") && table.contains("chain forward"), table);

    etcd.put(PREFIX + "/config", CONFIG.formatted(",\"EnableNFTables\":false"));
    String third = runOnce(Map.of());
    assertTrue(third.contains("nft table ip flannel-ipv4"), third);
    assertFalse(ns.run("nft", "list", "tables").contains("flannel-ipv4"), ns.run("nft", "list", "tables"));
    assertTrue(ns.run("iptables-nft-save", "-t", "filter").contains(":FLANNEL-FWD"));
  }

  @Test
  void rulesLandInLegacyOnALegacyHost() throws Exception {
    ns.run("iptables-legacy", "-t", "filter", "-N", "KUBE-FIREWALL");
    ns.run("iptables-legacy", "-t", "filter", "-A", "INPUT", "-j", "KUBE-FIREWALL");
    ns.run("iptables-legacy", "-t", "nat", "-A", "POSTROUTING", "-s", "172.17.0.0/16", "-j", "MASQUERADE");
    String log = runOnce(Map.of());
    assertTrue(log.contains("iptables mode: iptables-legacy (auto: no kubelet hint chain; the host has 2 "
        + "iptables-legacy rules and 0 iptables-nft rules)"), log);
    String legacy = ns.run("iptables-legacy-save");
    assertTrue(legacy.contains("-A POSTROUTING -m comment --comment \"flanneld masq\" -j FLANNEL-POSTRTG")
        && legacy.contains("-A FORWARD -m comment --comment \"flanneld forward\" -j FLANNEL-FWD"), legacy);
    assertFalse(ns.run("iptables-nft-save").contains("FLANNEL"));
  }

  @Test
  void theEnvironmentOverridesDetection() throws Exception {
    String log = runOnce(Map.of("FLANNELD_IPTABLES_MODE", "legacy"));
    assertTrue(log.contains("iptables mode: iptables-legacy (--iptables-mode=legacy)"), log);
    assertTrue(ns.run("iptables-legacy-save").contains(":FLANNEL-POSTRTG"));
    assertFalse(ns.run("iptables-nft-save").contains("FLANNEL"));
  }

  @Test
  void noIptablesOnPathIsOneLineAndNoLease() throws Exception {
    // Debian installs every iptables and nft command in /usr/sbin; java and etcd are in /usr/bin.
    Run r = start(Map.of("PATH", "/usr/bin:/bin"));
    assertTrue(r.process().waitFor(60, TimeUnit.SECONDS), "flanneld did not exit:\n" + r.text());
    assertEquals(1, r.process().exitValue(), r.text());
    List<String> fatal = r.text().lines().filter(l -> l.startsWith("flanneld: ")).toList();
    assertEquals(List.of("flanneld: --ip-masq needs iptables, iptables-save, iptables-restore (or their "
        + "-nft/-legacy forms), not found on PATH /usr/bin:/bin; install iptables or set EnableNFTables "
        + "in the network config"), fatal, r.text());
    assertFalse(r.text().contains("Exception"), r.text());
    assertEquals("", etcd.getPrefix(PREFIX + "/subnets").strip(), "no lease may be taken");
  }
}
