package io.jflannel.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jflannel.daemon.testing.NetnsEtcd;
import io.jflannel.daemon.testing.TestNetns;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code flanneld check} on a node the packaged daemon set up with the host-gw backend and its
 * traffic rules in nftables ({@code EnableNFTables}): one daemon run covers both, as CheckIT does
 * for vxlan and iptables. The daemon is stopped before the faults are injected (it would repair
 * them at once); each fault is undone afterwards and the node must be healthy again.
 */
class CheckHostGwIT {
  static final String PEER_SUBNET = "10.244.7.0/24";
  static final String TABLE = "flannel-ipv4";
  static TestNetns ns;
  static NetnsEtcd etcd;
  @TempDir static Path dir;
  static Path subnetFile;

  @BeforeAll
  static void node() throws Exception {
    ns = TestNetns.createWithPrefix("jfl-chkh-", "etcd", "etcdctl", "nft");
    ns.run("ip", "link", "set", "lo", "up");
    ns.run("ip", "link", "add", "eth0", "type", "veth", "peer", "name", "eth0-peer");
    ns.run("ip", "addr", "add", "192.0.2.10/24", "dev", "eth0");
    ns.run("ip", "link", "set", "eth0", "up");
    ns.run("ip", "link", "set", "eth0-peer", "up");
    ns.run("sysctl", "-qw", "net.ipv4.ip_forward=1");
    etcd = NetnsEtcd.start(ns.name());
    etcd.put("/coreos.com/network/config", "{\"Network\":\"10.244.0.0/16\",\"EnableNFTables\":true,"
        + "\"Backend\":{\"Type\":\"host-gw\"}}");
    etcd.put("/coreos.com/network/subnets/10.244.7.0-24", "{\"PublicIP\":\"192.0.2.11\",\"PublicIPv6\":null,"
        + "\"BackendType\":\"host-gw\",\"BackendData\":null}");
    subnetFile = dir.resolve("run/subnet.env");
    List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns.name(), FatalStartIT.LAUNCHER.toString()));
    cmd.addAll(flags());
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(dir.resolve("daemon.log").toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("FLANNELD_"));
    Process daemon = pb.start();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
      while (!(log().contains("] Running backend.")
          && ns.run("ip", "route", "show", PEER_SUBNET).contains("via 192.0.2.11 dev eth0"))) {
        assertTrue(daemon.isAlive(), "daemon exited:\n" + log());
        assertTrue(System.nanoTime() < deadline, "daemon not ready:\n" + log());
        Thread.sleep(200);
      }
    } finally {
      daemon.destroy(); // SIGTERM: routes and nft table stay
      assertTrue(daemon.waitFor(30, TimeUnit.SECONDS));
    }
    assertEquals(0, daemon.exitValue(), log());
    assertTrue(ns.run("nft", "list", "tables").contains("table ip " + TABLE), "the daemon made its nft table");
  }

  @AfterAll
  static void cleanup() throws Exception {
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

  static List<String> flags() {
    return List.of("--etcd-endpoints", NetnsEtcd.ENDPOINT, "--iface", "eth0", "--subnet-file", subnetFile.toString(),
        "--ip-masq");
  }

  static String log() throws Exception {
    return Files.readString(dir.resolve("daemon.log"), StandardCharsets.UTF_8);
  }

  record Result(int exit, String out) {
    List<String> fails() {
      return out.lines().filter(l -> l.startsWith("FAIL")).toList();
    }
  }

  static Result check() throws Exception {
    List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns.name(), FatalStartIT.LAUNCHER.toString(),
        "check"));
    cmd.addAll(flags());
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(dir.resolve("check.err").toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("FLANNELD_"));
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "check did not end");
    return new Result(p.exitValue(), out);
  }

  @AfterEach
  void healthyAgain() throws Exception {
    Result r = check();
    assertEquals(List.of(), r.fails(), "a fault was not undone:\n" + r.out());
  }

  @Test
  void aHealthyNodeReportsNoFail() throws Exception {
    Result r = check();
    assertEquals(0, r.exit(), r.out());
    assertEquals(List.of(), r.fails(), r.out());
    for (String expected : List.of("OK   own lease: ", "OK   subnet.env: ",
        "OK   peer 10.244.7.0/24 (192.0.2.11): route in place", "OK   traffic rules: nftables rules in place",
        "OK   net.bridge.bridge-nf-call-iptables: not needed with EnableNFTables")) {
      assertTrue(r.out().lines().anyMatch(l -> l.startsWith(expected)), expected + "\n" + r.out());
    }
    assertTrue(r.out().lines().noneMatch(l -> l.contains("device ")), "host-gw has no device:\n" + r.out());
  }

  @Test
  void aDeletedPeerRouteFails() throws Exception {
    ns.run("ip", "route", "del", PEER_SUBNET, "via", "192.0.2.11", "dev", "eth0");
    try {
      Result r = check();
      assertEquals(1, r.exit(), r.out());
      assertEquals(List.of("FAIL peer 10.244.7.0/24 (192.0.2.11): route 10.244.7.0/24 via 192.0.2.11 dev eth0 missing"
          + " | see: ip route show dev eth0 | hint: missing: without it pod traffic to this peer takes the default"
          + " route; a running flanneld puts it back within seconds, else look at its log"), r.fails());
    } finally {
      ns.run("ip", "route", "replace", PEER_SUBNET, "via", "192.0.2.11", "dev", "eth0");
    }
  }

  @Test
  void aPeerRouteThroughAnotherGatewayFails() throws Exception {
    ns.run("ip", "route", "replace", PEER_SUBNET, "via", "192.0.2.12", "dev", "eth0");
    try {
      Result r = check();
      assertEquals(1, r.exit(), r.out());
      assertEquals(1, r.fails().size(), r.out());
      assertTrue(r.fails().get(0).startsWith("FAIL peer 10.244.7.0/24 (192.0.2.11): route 10.244.7.0/24 via 192.0.2.11"
          + " dev eth0 wrong (kernel has 10.244.7.0/24 via 192.0.2.12 dev eth0"), r.fails().get(0));
    } finally {
      ns.run("ip", "route", "replace", PEER_SUBNET, "via", "192.0.2.11", "dev", "eth0");
    }
  }

  @Test
  void aStaleRouteForAVanishedPeerFails() throws Exception {
    ns.run("ip", "route", "add", "10.244.9.0/24", "via", "192.0.2.12", "dev", "eth0");
    try {
      Result r = check();
      assertEquals(1, r.exit(), r.out());
      assertEquals(List.of("FAIL stale route: 10.244.9.0/24 via 192.0.2.12 dev eth0 belongs to no current peer"
          + " | see: ip route show dev eth0 | hint: left by a peer that is gone or refused; a running flanneld"
          + " deletes it on its next full pass (by hand: ip route del 10.244.9.0/24 via 192.0.2.12 dev eth0)"),
          r.fails());
    } finally {
      ns.run("ip", "route", "del", "10.244.9.0/24", "dev", "eth0");
    }
  }

  /** One rule of our nft table deleted by hand: the check names it. */
  @Test
  void aRuleMissingFromOurNftTableFails() throws Exception {
    String saved = ns.run("nft", "list", "table", "ip", TABLE);
    String handles = ns.run("nft", "-a", "list", "table", "ip", TABLE);
    Matcher m = Pattern.compile("(?m)^\\s*chain (\\S+) \\{|^\\s*(.*masquerade.*?) # handle (\\d+)$").matcher(handles);
    String chain = null;
    String rule = null;
    String handle = null;
    while (m.find()) {
      if (m.group(1) != null) {
        chain = m.group(1);
      } else {
        rule = m.group(2).strip();
        handle = m.group(3);
        break;
      }
    }
    assertTrue(handle != null, "a masquerade rule in\n" + handles);
    ns.run("nft", "delete", "rule", "ip", TABLE, chain, "handle", handle);
    try {
      Result r = check();
      assertEquals(1, r.exit(), r.out());
      assertEquals(List.of("FAIL traffic rules: nft table ip " + TABLE + " differs from the plan: missing '" + rule
          + "' | see: nft list table ip " + TABLE + " | hint: a running flanneld rebuilds them within"
          + " --iptables-resync seconds; else restart it"), r.fails());
    } finally {
      ns.run("nft", "delete", "table", "ip", TABLE);
      ns.runWithInput(saved, "nft", "-f", "-");
    }
  }

  @Test
  void ourNftTableMissingFails() throws Exception {
    String saved = ns.run("nft", "list", "table", "ip", TABLE);
    ns.run("nft", "delete", "table", "ip", TABLE);
    try {
      Result r = check();
      assertEquals(1, r.exit(), r.out());
      assertEquals(1, r.fails().size(), r.out());
      assertTrue(r.fails().get(0).startsWith("FAIL traffic rules: nft table ip " + TABLE + " missing | see: nft list"
          + " table ip " + TABLE), r.fails().get(0));
    } finally {
      ns.runWithInput(saved, "nft", "-f", "-");
    }
  }
}
