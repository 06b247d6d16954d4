package io.jflannel.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jflannel.daemon.testing.NetnsEtcd;
import io.jflannel.daemon.testing.TestNetns;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code flanneld check} against a node the real daemon set up (issue 23 item 1): the packaged
 * daemon runs in a namespace against a real etcd holding one peer lease, is stopped (its
 * dataplane stays, and it would repair the faults at once), and then each test injects one fault
 * by hand, runs the packaged {@code flanneld check} in the namespace, and expects the FAIL
 * line and exit 1; the fault is undone afterwards and the node must be healthy again.
 */
class CheckIT {
  static final String PEER_SUBNET = "10.244.7.0/24";
  static final String PEER_MAC = "2a:00:00:00:00:11";
  static TestNetns ns;
  static NetnsEtcd etcd;
  @TempDir static Path dir;
  static Path subnetFile;
  static Path cniConf;
  static String subnetEnv;

  @BeforeAll
  static void node() throws Exception {
    ns = TestNetns.createWithPrefix("jfl-chk-", "etcd", "etcdctl", "iptables", "bridge", "ping", "setpriv");
    ns.run("ip", "link", "set", "lo", "up");
    ns.run("ip", "link", "add", "eth0", "type", "veth", "peer", "name", "eth0-peer");
    ns.run("ip", "addr", "add", "192.0.2.10/24", "dev", "eth0");
    ns.run("ip", "link", "set", "eth0", "up");
    ns.run("ip", "link", "set", "eth0-peer", "up");
    ns.run("sysctl", "-qw", "net.ipv4.ip_forward=1");
    etcd = NetnsEtcd.start(ns.name());
    etcd.put("/coreos.com/network/config", "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}");
    etcd.put("/coreos.com/network/subnets/10.244.7.0-24", "{\"PublicIP\":\"192.0.2.11\",\"PublicIPv6\":null,"
        + "\"BackendType\":\"vxlan\",\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"" + PEER_MAC + "\"}}");
    subnetFile = dir.resolve("run/subnet.env");
    cniConf = dir.resolve("10-flannel.conflist");
    Files.writeString(cniConf, "{\"name\":\"cbr0\",\"cniVersion\":\"0.3.1\",\"plugins\":[{\"type\":\"flannel\","
        + "\"delegate\":{\"hairpinMode\":true,\"isDefaultGateway\":true}},{\"type\":\"portmap\","
        + "\"capabilities\":{\"portMappings\":true}}]}");
    List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns.name(), FatalStartIT.LAUNCHER.toString()));
    cmd.addAll(flags());
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(dir.resolve("daemon.log").toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("FLANNELD_"));
    Process daemon = pb.start();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
      while (!(log().contains("] Running backend.") && log().contains("Subnet added: 10.244.7.0/24 via "))) {
        assertTrue(daemon.isAlive(), "daemon exited:\n" + log());
        assertTrue(System.nanoTime() < deadline, "daemon not ready:\n" + log());
        Thread.sleep(200);
      }
    } finally {
      daemon.destroy(); // SIGTERM: the dataplane stays
      assertTrue(daemon.waitFor(30, TimeUnit.SECONDS));
    }
    assertEquals(0, daemon.exitValue(), log());
    subnetEnv = Files.readString(subnetFile);
    // A cni0 as the bridge plugin leaves it: the subnet's first address and the pod MTU.
    String gateway = line(subnetEnv, "FLANNEL_SUBNET");
    ns.run("ip", "link", "add", "cni0", "type", "bridge");
    ns.run("ip", "addr", "add", gateway, "dev", "cni0");
    ns.run("ip", "link", "set", "cni0", "mtu", line(subnetEnv, "FLANNEL_MTU"), "up");
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

  static String line(String env, String name) {
    return env.lines().filter(l -> l.startsWith(name + "=")).findFirst().orElseThrow().substring(name.length() + 1);
  }

  record Result(int exit, String out, String err) {
    List<String> fails() {
      return out.lines().filter(l -> l.startsWith("FAIL")).toList();
    }
  }

  static Result check(String... more) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns.name(), FatalStartIT.LAUNCHER.toString(),
        "check"));
    cmd.addAll(flags());
    cmd.addAll(List.of("--cni-conf", cniConf.toString()));
    cmd.addAll(List.of(more));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(dir.resolve("check.err").toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("FLANNELD_"));
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "check did not end");
    return new Result(p.exitValue(), out, Files.readString(dir.resolve("check.err")));
  }

  /** Exactly one FAIL, starting with {@code start} and naming {@code see}; exit 1. */
  static void expectOneFail(String start, String see) throws Exception {
    Result r = check();
    assertEquals(1, r.exit(), r.out() + r.err());
    assertEquals(1, r.fails().size(), r.out());
    String fail = r.fails().get(0);
    assertTrue(fail.startsWith(start), fail);
    assertTrue(fail.contains(" | see: " + see), fail);
    assertTrue(fail.contains(" | hint: "), fail);
  }

  @AfterEach
  void healthyAgain() throws Exception {
    Result r = check();
    assertEquals(List.of(), r.fails(), "a fault was not undone:\n" + r.out());
  }

  @Test
  void aHealthyNodeReportsNoFailAndExits0() throws Exception {
    Result r = check();
    assertEquals(0, r.exit(), r.out() + r.err());
    assertEquals(List.of(), r.fails(), r.out());
    assertEquals("", r.err());
    for (String expected : List.of("OK   own lease: ", "OK   subnet.env: ", "OK   device flannel.1: type vxlan, VNI 1",
        "OK   peer 10.244.7.0/24 (192.0.2.11): route, neighbour, FDB entry in place", "OK   traffic rules: ",
        "OK   net.ipv4.ip_forward: 1", "OK   cni0 MTU: ", "OK   cni0 address: ", "OK   CNI config: ")) {
      assertTrue(r.out().lines().anyMatch(l -> l.startsWith(expected)), expected + "\n" + r.out());
    }
    assertTrue(r.out().endsWith(" 0 FAIL\n"), r.out());

    Result json = check("--output=json");
    assertEquals(0, json.exit(), json.out());
    JsonNode root = new ObjectMapper().readTree(json.out());
    assertEquals(0, root.get("counts").get("fail").asInt());
    assertEquals(0, root.get("status").asInt());
    assertEquals(r.out().lines().count() - 1, root.get("findings").size(), "the same findings as the text");
  }

  /** The peer is only a lease here, nobody answers at its VTEP: the probe reports the loss. */
  @Test
  void probeReportsLossForAPeerThatDoesNotAnswer() throws Exception {
    Result r = check("--probe");
    assertEquals(1, r.exit(), r.out());
    assertEquals(List.of("FAIL probe 10.244.7.0 (peer 10.244.7.0/24, 192.0.2.11): 100% loss (1 sent, 0 received)"
        + " | see: ping -c1 -W1 10.244.7.0 | hint: the overlay to this peer does not carry traffic; check its lines"
        + " above and the peer's own check"), r.fails());
  }

  @Test
  void aDeletedRouteFails() throws Exception {
    ns.run("ip", "route", "del", PEER_SUBNET, "dev", "flannel.1");
    try {
      expectOneFail("FAIL peer 10.244.7.0/24 (192.0.2.11): route 10.244.7.0/24 via 10.244.7.0 dev flannel.1 onlink"
          + " missing", "ip route show dev flannel.1");
    } finally {
      ns.run("ip", "route", "replace", PEER_SUBNET, "via", "10.244.7.0", "dev", "flannel.1", "onlink");
    }
  }

  @Test
  void aDeletedFdbEntryFails() throws Exception {
    ns.run("bridge", "fdb", "del", PEER_MAC, "dev", "flannel.1", "dst", "192.0.2.11");
    try {
      expectOneFail("FAIL peer 10.244.7.0/24 (192.0.2.11): FDB entry " + PEER_MAC + " dev flannel.1 dst 192.0.2.11",
          "bridge fdb show dev flannel.1");
    } finally {
      ns.run("bridge", "fdb", "replace", PEER_MAC, "dev", "flannel.1", "dst", "192.0.2.11", "self", "permanent");
    }
  }

  @Test
  void aDeletedNeighbourFails() throws Exception {
    ns.run("ip", "neigh", "del", "10.244.7.0", "dev", "flannel.1");
    try {
      expectOneFail("FAIL peer 10.244.7.0/24 (192.0.2.11): neighbour 10.244.7.0", "ip neigh show dev flannel.1");
    } finally {
      ns.run("ip", "neigh", "replace", "10.244.7.0", "lladdr", PEER_MAC, "dev", "flannel.1", "nud", "permanent");
    }
  }

  @Test
  void aChangedDeviceMtuFails() throws Exception {
    String mtu = line(subnetEnv, "FLANNEL_MTU");
    ns.run("ip", "link", "set", "flannel.1", "mtu", "1400");
    try {
      expectOneFail("FAIL flannel.1 MTU: 1400, flanneld sets " + mtu, "ip -d link show flannel.1");
    } finally {
      ns.run("ip", "link", "set", "flannel.1", "mtu", mtu);
    }
  }

  @Test
  void forwardPolicyDropWithOurRuleRemovedFails() throws Exception {
    String jump = "-m comment --comment \"flanneld forward\" -j FLANNEL-FWD";
    assertTrue(ns.run("iptables", "-S", "FORWARD").contains("-A FORWARD " + jump), "the daemon's jump is there");
    ns.run("iptables", "-P", "FORWARD", "DROP");
    ns.run("iptables", "-D", "FORWARD", "-m", "comment", "--comment", "flanneld forward", "-j", "FLANNEL-FWD");
    try {
      Result r = check();
      assertEquals(1, r.exit(), r.out());
      assertEquals(2, r.fails().size(), r.out());
      assertTrue(r.fails().get(0).startsWith("FAIL traffic rules: ") && r.fails().get(0)
          .contains("filter/FORWARD jumps to FLANNEL-FWD 0 times"), r.out());
      assertTrue(r.fails().get(1).startsWith("FAIL FORWARD policy: DROP and no jump to FLANNEL-FWD"), r.out());
      r.fails().forEach(f -> assertTrue(f.contains(" -S FORWARD"), f));
    } finally {
      ns.run("iptables", "-P", "FORWARD", "ACCEPT");
      ns.run("iptables", "-A", "FORWARD", "-m", "comment", "--comment", "flanneld forward", "-j", "FLANNEL-FWD");
    }
  }

  @Test
  void aStaleRouteForAVanishedPeerFails() throws Exception {
    ns.run("ip", "route", "add", "10.244.9.0/24", "via", "10.244.9.0", "dev", "flannel.1", "onlink");
    try {
      expectOneFail("FAIL stale route: 10.244.9.0/24 via 10.244.9.0 dev flannel.1 onlink belongs to no current peer",
          "ip route show dev flannel.1");
    } finally {
      ns.run("ip", "route", "del", "10.244.9.0/24", "dev", "flannel.1");
    }
  }

  @Test
  void anEditedSubnetEnvFails() throws Exception {
    String mtu = line(subnetEnv, "FLANNEL_MTU");
    Files.writeString(subnetFile, subnetEnv.replace("FLANNEL_MTU=" + mtu, "FLANNEL_MTU=1400"));
    try {
      expectOneFail("FAIL subnet.env: FLANNEL_MTU=1400, the lease and config say FLANNEL_MTU=" + mtu,
          "cat " + subnetFile);
    } finally {
      Files.writeString(subnetFile, subnetEnv);
    }
  }

  /**
   * bridge-nf-call-iptables is a per-namespace setting since Linux 5.3, so turning it off in
   * the test's namespace leaves the machine's own alone; this kernel is newer.
   */
  @Test
  void bridgeNfCallIptablesOffFails() throws Exception {
    Path sysctl = Path.of("/proc/sys/net/bridge/bridge-nf-call-iptables");
    String host = Files.readString(sysctl).trim();
    assertEquals("1", ns.run("cat", sysctl.toString()).trim());
    ns.run("sysctl", "-qw", "net.bridge.bridge-nf-call-iptables=0");
    try {
      assertEquals(host, Files.readString(sysctl).trim(), "the machine's own setting is untouched");
      expectOneFail("FAIL net.bridge.bridge-nf-call-iptables: 0", "sysctl net.bridge.bridge-nf-call-iptables");
    } finally {
      ns.run("sysctl", "-qw", "net.bridge.bridge-nf-call-iptables=1");
    }
  }

  @Test
  void usageErrorsAndNoRootAreOneLine() throws Exception {
    Result bad = run(List.of(FatalStartIT.LAUNCHER.toString(), "check", "--output=xml"));
    assertEquals(2, bad.exit());
    assertEquals("flanneld check: invalid value for --output: 'xml' (text or json)\n"
        + "Run 'flanneld check --help' for its flags.\n", bad.err());
    Result badFlag = run(List.of(FatalStartIT.LAUNCHER.toString(), "check", "--no-such-flag"));
    assertEquals(2, badFlag.exit());
    assertTrue(badFlag.err().startsWith("flanneld check: "), badFlag.err());
    Result notRoot = run(List.of("setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups",
        FatalStartIT.LAUNCHER.toString(), "check"));
    assertEquals(1, notRoot.exit());
    assertEquals("flanneld check: must run as root (it reads this node's iptables rules and kernel state)\n",
        notRoot.err());
    assertEquals("", notRoot.out());
    assertFalse(bad.out().contains("OK"));
  }

  /** Runs a command in the namespace (it stops at argument checks, before anything of the node is read). */
  static Result run(List<String> argv) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns.name()));
    cmd.addAll(argv);
    Process p = new ProcessBuilder(cmd).redirectError(dir.resolve("run.err").toFile()).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    return new Result(p.exitValue(), out, Files.readString(dir.resolve("run.err")));
  }
}
