package io.jflannel.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jflannel.daemon.rules.FamilyNets;
import io.jflannel.daemon.rules.IptablesFlavour;
import io.jflannel.daemon.rules.IptablesTrafficRules;
import io.jflannel.daemon.rules.NftTrafficRules;
import io.jflannel.daemon.rules.RulePlan;
import io.jflannel.daemon.testing.NetnsEtcd;
import io.jflannel.daemon.testing.TestNetns;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code flanneld cleanup} on a node namespace where the packaged daemon ran against a real etcd
 * (vxlan with a peer, or host-gw; masquerade, forward rules, blackhole route), flannel's rules
 * added in the other two modes with the daemon's own code, the CNI set-up of a node, and a
 * foreign set of devices, routes, neighbours, FDB entries, iptables rules of both flavours and
 * families, and an nft table: afterwards nothing of flannel's is left and every foreign listing
 * is byte for byte what it was; {@code --dry-run} changes nothing; a second run has nothing to
 * do; a running daemon, a missing privilege and a bad flag are refused with one line.
 */
class CleanupIT {
  static final String PREFIX = "/jfl-cleanup";
  static final String CONFIG = "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"%s\"}}";
  static final String PEER_KEY = PREFIX + "/subnets/10.244.9.0-24";
  static final String PEER = "{\"PublicIP\":\"192.0.2.20\",\"BackendType\":\"%s\",\"BackendData\":%s}";
  static final String FOREIGN_NFT = "table inet foreign {\n"
      + "\tchain input {\n"
      + "\t\ttype filter hook input priority filter; policy accept;\n"
      + "\t\tip saddr 198.51.100.7 drop\n"
      + "\t}\n"
      + "}\n";
  static final List<String> SAVES = List.of("iptables-nft-save", "ip6tables-nft-save", "iptables-legacy-save",
      "ip6tables-legacy-save");
  static final Pattern LINK_HEAD = Pattern.compile("^\\d+: ([^:@]+)[:@].*");

  @TempDir Path dir;
  TestNetns ns;
  NetnsEtcd etcd;
  Path subnetEnv;
  Path conflist;
  Path cniState;
  List<String> iface = List.of("--iface", "eth0");

  @BeforeEach
  void node() throws Exception {
    ns = TestNetns.createWithPrefix("jfl-cu-", "etcd", "etcdctl", "nft", "bridge", "iptables-nft-save",
        "iptables-legacy-save", "ip6tables-nft-save", "ip6tables-legacy-save", "setpriv");
    // No duplicate address detection: link-local routes appear at once, not between two listings.
    ns.run("sysctl", "-qw", "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0");
    ns.run("ip", "link", "set", "lo", "up");
    ns.run("ip", "link", "add", "eth0", "type", "veth", "peer", "name", "eth0-peer");
    ns.run("ip", "addr", "add", "192.0.2.10/24", "dev", "eth0");
    ns.run("ip", "link", "set", "eth0", "up");
    ns.run("ip", "link", "set", "eth0-peer", "up");
    ns.run("ip", "route", "add", "default", "via", "192.0.2.1");
    etcd = NetnsEtcd.start(ns.name());
    subnetEnv = dir.resolve("run/subnet.env");
    conflist = dir.resolve("net.d/10-flannel.conflist");
    cniState = dir.resolve("cni");
  }

  @AfterEach
  void tearDown() throws Exception {
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

  // ---- the node: flanneld's objects, the CNI set-up, a foreign set -------------------------

  /** Runs the daemon until ready and its peer is programmed, then stops it (the dataplane stays). */
  void runDaemon(String backend) throws Exception {
    etcd.put(PREFIX + "/config", CONFIG.formatted(backend));
    etcd.put(PEER_KEY, PEER.formatted(backend,
        backend.equals("vxlan") ? "{\"VNI\":1,\"VtepMAC\":\"02:00:00:00:00:09\"}" : "null"));
    Process p = daemon();
    Path log = dir.resolve("daemon.log");
    try {
      String peerRoute = backend.equals("vxlan") ? "10.244.9.0/24 via 10.244.9.0 dev flannel.1"
          : "10.244.9.0/24 via 192.0.2.20 dev eth0";
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!ns.run("ip", "route").contains(peerRoute)) {
        if (!p.isAlive() || System.nanoTime() > deadline) {
          throw new AssertionError("no peer route " + peerRoute + ":\n" + Files.readString(log));
        }
        Thread.sleep(200);
      }
    } finally {
      p.destroy();
      assertTrue(p.waitFor(30, TimeUnit.SECONDS), "daemon did not stop");
    }
    assertEquals(0, p.exitValue(), Files.readString(log));
  }

  Process daemon() throws IOException {
    List<String> cmd = List.of(RulesModeIT.ipCommand(), "netns", "exec", ns.name(), FatalStartIT.LAUNCHER.toString(),
        "--etcd-endpoints", NetnsEtcd.ENDPOINT, "--etcd-prefix", PREFIX, "--iface", "eth0", "--ip-masq",
        "--ip-blackhole-route", "--subnet-file", subnetEnv.toString());
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(dir.resolve("daemon.log").toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("FLANNELD_"));
    return pb.start();
  }

  /** The own subnet from subnet.env, e.g. {@code 10.244.3.0/24}, and its first address. */
  String ownSubnet() throws IOException {
    Matcher m = Pattern.compile("FLANNEL_SUBNET=10\\.244\\.(\\d+)\\.1/24").matcher(Files.readString(subnetEnv));
    assertTrue(m.find(), "subnet.env: " + Files.readString(subnetEnv));
    return "10.244." + m.group(1) + ".0/24";
  }

  /** flannel's rules of the two modes the daemon did not use, through the daemon's own code. */
  void rulesOfTheOtherModes() throws IOException {
    String own = ownSubnet();
    RulePlan plan = new RulePlan(Optional.of(FamilyNets.of("10.244.0.0/16", own)),
        Optional.of(FamilyNets.of("fd00:244::/56", "fd00:244:0:3::/64")), true, true, true);
    new IptablesTrafficRules(plan, IptablesFlavour.LEGACY, ns.runner()).apply();
    new NftTrafficRules(plan, ns.runner()).apply();
  }

  /** What the flannel CNI plugin, the bridge and host-local plugins leave on a node. */
  void cniSetUp() throws IOException {
    String own = ownSubnet();
    ns.run("ip", "link", "add", "cni0", "type", "bridge");
    ns.run("ip", "addr", "add", own.replace(".0/24", ".1/24"), "dev", "cni0");
    ns.run("ip", "link", "set", "cni0", "up");
    Files.createDirectories(conflist.getParent());
    Files.writeString(conflist, "{\"name\":\"cbr0\",\"cniVersion\":\"0.3.1\",\"plugins\":[{\"type\":\"flannel\"}]}");
    Path ipam = Files.createDirectories(cniState.resolve("networks/cbr0"));
    Files.writeString(ipam.resolve(own.replace(".0/24", ".2")), "c0ffee\neth0");
    Files.writeString(ipam.resolve("last_reserved_ip.0"), own.replace(".0/24", ".2"));
    Files.writeString(Files.createDirectories(cniState.resolve("flannel")).resolve("c0ffee"), "{}");
    Files.writeString(Files.createDirectories(cniState.resolve("networks/other-net")).resolve("10.1.0.2"), "x");
    Files.writeString(conflist.resolveSibling("20-other.conflist"), "{\"name\":\"other-net\"}");
  }

  /** Another CNI's devices, routes, neighbours, FDB entries, iptables rules and nft table. */
  void foreignSet() {
    ns.run("ip", "link", "add", "vx-foreign", "type", "vxlan", "id", "42", "dev", "eth0", "dstport", "4789",
        "local", "192.0.2.10");
    ns.run("ip", "addr", "add", "172.16.0.1/24", "dev", "vx-foreign");
    ns.run("ip", "link", "set", "vx-foreign", "up");
    ns.run("ip", "neigh", "add", "172.16.0.2", "lladdr", "02:00:00:00:00:42", "dev", "vx-foreign", "nud",
        "permanent");
    ns.run("bridge", "fdb", "append", "02:00:00:00:00:42", "dev", "vx-foreign", "dst", "192.0.2.42", "self",
        "permanent");
    ns.run("ip", "route", "add", "172.16.5.0/24", "via", "172.16.0.2", "dev", "vx-foreign", "onlink");
    ns.run("ip", "route", "add", "198.51.100.0/24", "via", "192.0.2.1", "dev", "eth0");
    ns.run("ip", "route", "add", "blackhole", "203.0.113.0/24");
    // Named like flannel's device but a bridge: not flannel's, it stays.
    ns.run("ip", "link", "add", "flannel.7", "type", "bridge");
    for (IptablesFlavour f : List.of(IptablesFlavour.NFT, IptablesFlavour.LEGACY)) {
      for (io.jflannel.daemon.rules.IpFamily fam : io.jflannel.daemon.rules.IpFamily.values()) {
        String ipt = f.iptables(fam);
        String src = fam == io.jflannel.daemon.rules.IpFamily.IPV4 ? "198.51.100.1/32" : "2001:db8::1/128";
        ns.run(ipt, "-t", "filter", "-N", "KUBE-FORWARD");
        ns.run(ipt, "-t", "filter", "-A", "FORWARD", "-j", "KUBE-FORWARD");
        ns.run(ipt, "-t", "filter", "-A", "KUBE-FORWARD", "-s", src, "-j", "ACCEPT");
        ns.run(ipt, "-t", "nat", "-A", "POSTROUTING", "-s", src, "-j", "MASQUERADE");
      }
    }
    ns.runWithInput(FOREIGN_NFT, "nft", "-f", "-");
  }

  // ---- listings ----------------------------------------------------------------------------

  /** Every listing compared, as the kernel prints it (iptables-save's dated comments left out). */
  Map<String, String> listings() {
    Map<String, String> m = new LinkedHashMap<>();
    // A bridge's running timers (gc_timer counts down) are a clock, not configuration.
    m.put("ip -d link", ns.run("ip", "-d", "link").replaceAll("(_timer) +[0-9.]+", "$1 -"));
    m.put("ip route", ns.run("ip", "route", "show", "table", "all"));
    m.put("ip -6 route", ns.run("ip", "-6", "route", "show", "table", "all"));
    m.put("ip neigh", ns.run("ip", "neigh", "show"));
    m.put("bridge fdb", ns.run("bridge", "fdb", "show"));
    for (String save : SAVES) {
      m.put(save, withoutCounters(ns.run(save).lines().filter(l -> !l.startsWith("#"))
          .collect(Collectors.joining("\n"))));
    }
    m.put("nft list ruleset", withoutCounters(ns.run("nft", "list", "ruleset")));
    return m;
  }

  /**
   * Packet counters zeroed: the namespace's own loopback traffic (the etcd clients) moves them
   * between two listings; they are the kernel's statistics, not anybody's configuration.
   */
  static String withoutCounters(String listing) {
    return listing.replaceAll("\\[\\d+:\\d+\\]", "[0:0]")
        .replaceAll("counter packets \\d+ bytes \\d+", "counter packets 0 bytes 0");
  }

  /** Equal listings; else the first one that differs, whole, on both sides. */
  static void assertSameListings(Map<String, String> expected, Map<String, String> actual, String message) {
    assertEquals(expected.keySet(), actual.keySet(), message);
    for (String k : expected.keySet()) {
      assertEquals(expected.get(k), actual.get(k), message + ": " + k);
    }
  }

  /** The listings without anything of flannel's. */
  static Map<String, String> foreign(Map<String, String> all) {
    Map<String, String> m = new LinkedHashMap<>();
    all.forEach((k, v) -> m.put(k, switch (k) {
      case "ip -d link" -> withoutLinks(v, List.of("flannel.1", "cni0"));
      case "nft list ruleset" -> withoutBlocks(v);
      default -> v.lines().filter(l -> !ours(l)).collect(Collectors.joining("\n"));
    }));
    return m;
  }

  static boolean ours(String line) {
    return line.contains("flannel.1") || line.contains("cni0") || line.contains("10.244.")
        || line.contains("FLANNEL") || line.contains("flanneld") || line.contains("fd00:244:");
  }

  /** {@code ip -d link} without the blocks of the named links. */
  static String withoutLinks(String listing, List<String> names) {
    StringBuilder out = new StringBuilder();
    boolean skip = false;
    for (String line : listing.split("\n")) {
      Matcher m = LINK_HEAD.matcher(line);
      if (m.matches()) {
        skip = names.contains(m.group(1));
      }
      if (!skip) {
        out.append(line).append('\n');
      }
    }
    return out.toString();
  }

  /** {@code nft list ruleset} without flannel's tables and chains and its rules elsewhere. */
  static String withoutBlocks(String ruleset) {
    StringBuilder out = new StringBuilder();
    int depth = 0;
    for (String line : ruleset.split("\n")) {
      String t = line.strip();
      if (depth == 0 && (t.startsWith("table ip flannel-ipv4") || t.startsWith("table ip6 flannel-ipv6")
          || t.startsWith("chain FLANNEL-"))) {
        depth = 1;
        continue;
      }
      if (depth > 0) {
        depth += t.endsWith("{") ? 1 : 0;
        depth -= t.equals("}") ? 1 : 0;
        continue;
      }
      if (!ours(line) && !t.isEmpty()) { // a removed chain leaves its separating blank line
        out.append(line).append('\n');
      }
    }
    return out.toString();
  }

  static void assertNothingOurs(Map<String, String> listings) {
    listings.forEach((k, v) -> v.lines().filter(CleanupIT::ours).findFirst()
        .ifPresent(l -> {
          throw new AssertionError(k + " still holds flannel's " + l + ":\n" + v);
        }));
  }

  // ---- running cleanup ---------------------------------------------------------------------

  record Result(int status, String out, String err) {
    List<String> lines() {
      return out.lines().toList();
    }

    @Override
    public String toString() {
      return "exit " + status + "\nstdout:\n" + out + "stderr:\n" + err;
    }
  }

  Result cleanup(String... args) throws Exception {
    return cleanupAs(List.of(), args);
  }

  Result cleanupAs(List<String> wrapper, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(RulesModeIT.ipCommand(), "netns", "exec", ns.name()));
    cmd.addAll(wrapper);
    cmd.addAll(List.of(FatalStartIT.LAUNCHER.toString(), "cleanup", "--etcd-endpoints", NetnsEtcd.ENDPOINT,
        "--etcd-prefix", PREFIX, "--subnet-file", subnetEnv.toString(),
        "--cni-conf-file", conflist.toString(), "--cni-state-dir", cniState.toString()));
    cmd.addAll(iface);
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd)
        .redirectOutput(dir.resolve("cleanup.out").toFile()).redirectError(dir.resolve("cleanup.err").toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("FLANNELD_"));
    Process p = pb.start();
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "cleanup did not end");
    return new Result(p.exitValue(), Files.readString(dir.resolve("cleanup.out"), StandardCharsets.UTF_8),
        Files.readString(dir.resolve("cleanup.err"), StandardCharsets.UTF_8));
  }

  String ownKey() throws Exception {
    return PREFIX + "/subnets/" + ownSubnet().replace('/', '-');
  }

  // ---- tests -------------------------------------------------------------------------------

  @Test
  void removesFlannelsObjectsAndLeavesForeignOnesByteForByte() throws Exception {
    runDaemon("vxlan");
    String own = ownSubnet();
    String ownKey = ownKey();
    rulesOfTheOtherModes();
    cniSetUp();
    foreignSet();
    Map<String, String> before = listings();
    assertTrue(before.get("ip neigh").contains("10.244.9.0 dev flannel.1 lladdr 02:00:00:00:00:09 PERMANENT"),
        before.get("ip neigh"));
    assertTrue(before.get("bridge fdb").contains("02:00:00:00:00:09 dev flannel.1 dst 192.0.2.20 self permanent"),
        before.get("bridge fdb"));
    assertTrue(before.get("ip route").contains("blackhole " + own), before.get("ip route"));
    assertTrue(etcd.getPrefix(ownKey).contains("192.0.2.10"), "the daemon's lease");

    Result r = cleanup("--cni", "--release-lease");

    assertEquals(0, r.status(), r.toString());
    assertEquals("", r.err(), r.toString());
    assertEquals(List.of(
        "delete nft table ip flannel-ipv4",
        "delete nft table ip6 flannel-ipv6",
        "delete iptables-nft chain filter/FLANNEL-FWD and the rules that jump to it",
        "delete iptables-nft chain nat/FLANNEL-POSTRTG and the rules that jump to it",
        "delete iptables-legacy chain filter/FLANNEL-FWD and the rules that jump to it",
        "delete iptables-legacy chain nat/FLANNEL-POSTRTG and the rules that jump to it",
        "delete ip6tables-legacy chain filter/FLANNEL-FWD and the rules that jump to it",
        "delete ip6tables-legacy chain nat/FLANNEL-POSTRTG and the rules that jump to it",
        "delete etcd key " + ownKey,
        "delete route blackhole " + own,
        "delete link flannel.1 (vxlan, with its 1 route, 1 neighbour and 1 FDB entry)",
        "delete link cni0 (bridge, with its addresses and routes)",
        "delete " + conflist,
        "delete " + cniState.resolve("networks/cbr0") + "/",
        "delete " + cniState.resolve("flannel") + "/",
        "delete " + subnetEnv,
        "delete " + subnetEnv.resolveSibling("flanneld.lock") + " (the node lock)"), r.lines(), r.toString());

    Map<String, String> after = listings();
    assertNothingOurs(after);
    assertSameListings(foreign(before), foreign(after), "foreign objects changed");
    assertTrue(after.get("ip -d link").contains("vx-foreign") && after.get("ip -d link").contains("flannel.7"));
    assertFalse(Files.exists(subnetEnv) || Files.exists(conflist) || Files.exists(cniState.resolve("flannel"))
        || Files.exists(cniState.resolve("networks/cbr0")));
    assertTrue(Files.exists(cniState.resolve("networks/other-net/10.1.0.2"))
        && Files.exists(conflist.resolveSibling("20-other.conflist")), "another network's CNI files stay");
    assertEquals("", etcd.getPrefix(ownKey).strip(), "own lease released");
    assertTrue(etcd.getPrefix(PEER_KEY).contains("192.0.2.20"), "the peer's lease stays");

    Result again = cleanup("--cni", "--release-lease");
    assertEquals(0, again.status(), again.toString());
    assertEquals(List.of("nothing to clean up"), again.lines(), again.toString());
    assertEquals("", again.err(), again.toString());
    assertSameListings(after, listings(), "a second run changes nothing");
  }

  @Test
  void dryRunPrintsEveryActionAndChangesNothing() throws Exception {
    runDaemon("vxlan");
    rulesOfTheOtherModes();
    cniSetUp();
    foreignSet();
    Map<String, String> before = listings();
    String etcdBefore = etcd.getPrefix(PREFIX);
    List<Path> filesBefore = files();

    Result r = cleanup("--cni", "--release-lease", "--dry-run");

    assertEquals(0, r.status(), r.toString());
    assertEquals(17, r.lines().size(), r.toString());
    assertTrue(r.lines().stream().allMatch(l -> l.startsWith("would delete ")), r.toString());
    assertSameListings(before, listings(), "--dry-run changed the kernel");
    assertEquals(etcdBefore, etcd.getPrefix(PREFIX), "--dry-run changed etcd");
    assertEquals(filesBefore, files(), "--dry-run changed files");
  }

  List<Path> files() throws IOException {
    try (var walk = Files.walk(dir)) {
      return walk.filter(p -> !p.getFileName().toString().startsWith("cleanup.")).sorted().toList();
    }
  }

  @Test
  void hostGwRoutesGoAndARunningDaemonIsRefused() throws Exception {
    etcd.put(PREFIX + "/config", CONFIG.formatted("host-gw"));
    etcd.put(PEER_KEY, PEER.formatted("host-gw", "null"));
    Process p = daemon();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!ns.run("ip", "route").contains("10.244.9.0/24 via 192.0.2.20 dev eth0")) {
        assertTrue(p.isAlive() && System.nanoTime() < deadline, Files.readString(dir.resolve("daemon.log")));
        Thread.sleep(200);
      }
      foreignSet();
      Map<String, String> running = listings();
      Result refused = cleanup();
      assertEquals(1, refused.status(), refused.toString());
      assertEquals("", refused.out(), refused.toString());
      assertEquals(List.of("flanneld cleanup: another flanneld (pid " + p.pid() + ") is running on this node (lock "
          + subnetEnv.resolveSibling("flanneld.lock") + "); stop it before cleaning up"),
          refused.err().lines().toList(), refused.toString());
      assertSameListings(running, listings(), "nothing may change while the daemon runs");
    } finally {
      p.destroy();
      assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    }
    Map<String, String> before = listings();
    String own = ownSubnet();
    String ownKey = ownKey();

    Result r = cleanup();

    assertEquals(0, r.status(), r.toString());
    assertTrue(r.lines().contains("delete route 10.244.9.0/24 via 192.0.2.20 dev eth0"), r.toString());
    assertTrue(r.lines().contains("delete route blackhole " + own), r.toString());
    assertFalse(r.out().contains("link"), "host-gw has no device: " + r);
    Map<String, String> after = listings();
    assertNothingOurs(after);
    assertSameListings(foreign(before), foreign(after), "foreign objects changed");
    assertTrue(after.get("ip route").contains("198.51.100.0/24 via 192.0.2.1 dev eth0"));
    assertTrue(etcd.getPrefix(ownKey).contains("192.0.2.10"), "the lease stays without --release-lease");
  }

  @Test
  void withoutSubnetEnvTheNetworkComesFromTheStoreAndWithoutEitherRoutesAreLeftAlone() throws Exception {
    runDaemon("host-gw");
    String own = ownSubnet();
    foreignSet();
    Files.delete(subnetEnv);
    Map<String, String> before = listings();

    Result r = cleanup();

    assertEquals(0, r.status(), r.toString());
    assertEquals(List.of("delete iptables-nft chain filter/FLANNEL-FWD and the rules that jump to it",
        "delete iptables-nft chain nat/FLANNEL-POSTRTG and the rules that jump to it",
        "delete route 10.244.9.0/24 via 192.0.2.20 dev eth0", "delete route blackhole " + own,
        "delete " + subnetEnv.resolveSibling("flanneld.lock") + " (the node lock)"), r.lines(), r.toString());
    Map<String, String> after = listings();
    assertNothingOurs(after);
    assertSameListings(foreign(before), foreign(after), "foreign objects changed");

    // No subnet.env and no store: a foreign route on the external interface cannot be judged,
    // which is said in one line; nothing is deleted and the run still succeeds.
    etcd.close();
    etcd = null;
    ns.run("ip", "route", "add", "10.244.50.0/24", "via", "192.0.2.50", "dev", "eth0");
    Map<String, String> unjudged = listings();
    Result blind = cleanup();
    assertEquals(0, blind.status(), blind.toString());
    assertEquals(2, blind.lines().size(), blind.toString());
    assertTrue(blind.lines().get(0).startsWith("no " + subnetEnv + " and no network config (")
        && blind.lines().get(0).endsWith("): routes inside the cluster network were not looked for"), blind.toString());
    assertEquals("nothing to clean up", blind.lines().get(1));
    assertEquals("", blind.err(), blind.toString());
    assertSameListings(unjudged, listings(), "nothing may change");
  }

  @Test
  void aFailedStepIsOneLineKeepsSubnetEnvAndASecondRunFinishes() throws Exception {
    runDaemon("host-gw");
    iface = List.of("--iface", "nosuch0");

    Result r = cleanup();

    assertEquals(1, r.status(), r.toString());
    List<String> errors = r.err().lines().toList();
    assertEquals(1, errors.size(), r.toString());
    assertTrue(errors.get(0).startsWith("flanneld cleanup: cannot tell which routes inside 10.244.0.0/16 are "
        + "flannel's: ") && errors.get(0).contains("nosuch0"), r.toString());
    assertTrue(r.lines().contains("keep " + subnetEnv + ": a step failed; run flanneld cleanup again"), r.toString());
    assertTrue(Files.exists(subnetEnv));
    assertTrue(ns.run("ip", "route").contains("10.244.9.0/24 via 192.0.2.20 dev eth0"));

    iface = List.of("--iface", "eth0");
    Result again = cleanup();
    assertEquals(0, again.status(), again.toString());
    assertTrue(again.lines().contains("delete route 10.244.9.0/24 via 192.0.2.20 dev eth0"), again.toString());
    assertFalse(Files.exists(subnetEnv));
    assertNothingOurs(listings());
  }

  @Test
  void withoutCapNetAdminItIsOneLineAndExit1() throws Exception {
    Result r = cleanupAs(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"), "--dry-run");
    assertEquals(1, r.status(), r.toString());
    assertEquals("", r.out(), r.toString());
    assertEquals(List.of("flanneld cleanup: needs root (CAP_NET_ADMIN) to read and change the node's network; "
        + "run it as root"), r.err().lines().toList(), r.toString());
  }

  @Test
  void aBadFlagIsOneLineAndExit2() throws Exception {
    Result r = cleanup("--release-lease=maybe");
    assertEquals(2, r.status(), r.toString());
    assertEquals(1, r.err().lines().count(), r.toString());
    assertTrue(r.err().startsWith("flanneld cleanup: Invalid value for option '--release-lease'"), r.toString());
  }

  @Test
  void releaseLeaseInKubeModeSaysItDoesNotApply() throws Exception {
    Result r = cleanup("--kube-subnet-mgr", "--release-lease");
    assertEquals(0, r.status(), r.toString());
    assertEquals(List.of("skip --release-lease: not applicable with --kube-subnet-mgr (the subnet is the Node's "
        + "podCIDR, which Kubernetes frees with the Node; delete the Node to withdraw it from its peers)",
        "nothing to clean up"), r.lines(), r.toString());
  }
}
