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
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The own-config part of the bad input catalogue (docs/robustness.md), through the packaged
 * launcher inside a namespace: every fatal case ends with exit status 1 (2 for flags) and
 * exactly one {@code flanneld: ...} line naming the field and the value. net-conf.json cases
 * run in kube mode (the file is read before the API server is contacted); etcd-mode cases put
 * the config under a fresh prefix of a real etcd running inside the same namespace, so the
 * allocation checks and the backend options are reached too. A config key that is missing or
 * fails the allocation checks is not fatal: the daemon waits for it as upstream does, with a
 * line naming key, endpoint and field (docs/decisions/1010).
 */
class BadConfigCatalogueIT {
  static final Path LAUNCHER = FatalStartIT.LAUNCHER;

  static TestNetns ns;
  static NetnsEtcd etcd;
  @TempDir static Path dir;

  @BeforeAll
  static void namespace() throws Exception {
    ns = TestNetns.createWithPrefix("jfl-bad-", "etcd", "etcdctl");
    ns.run("ip", "link", "set", "lo", "up");
    ns.run("ip", "link", "add", "eth0", "type", "veth", "peer", "name", "eth0-peer");
    ns.run("ip", "addr", "add", "192.0.2.10/24", "dev", "eth0");
    ns.run("ip", "link", "set", "eth0", "up");
    ns.run("ip", "link", "set", "eth0-peer", "up");
    etcd = NetnsEtcd.start(ns.name());
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

  record Result(int status, String stderr, String stdout) {
    String fatalLine() {
      List<String> lines = stderr.lines().filter(l -> l.startsWith("flanneld: ")).toList();
      assertEquals(1, lines.size(), "expected one fatal line in:\n" + stderr);
      return lines.get(0);
    }
  }

  static Result run(String id, List<String> args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns.name(), LAUNCHER.toString()));
    cmd.addAll(args);
    Path err = dir.resolve(id + ".err");
    Path out = dir.resolve(id + ".out");
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("FLANNELD_"));
    pb.environment().put("NODE_NAME", "node-a");
    Process p = pb.start();
    if (!p.waitFor(90, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("flanneld did not exit: " + String.join(" ", cmd));
    }
    return new Result(p.exitValue(), Files.readString(err, StandardCharsets.UTF_8),
        Files.readString(out, StandardCharsets.UTF_8));
  }

  static void assertFatal(String id, Result r, int status, String... fragments) {
    assertEquals(status, r.status(), id + ": " + r.stderr());
    String line = r.fatalLine();
    // printed so the catalogue's "actual" column can be refreshed from the test report
    System.out.println("CATALOGUE " + id + " | exit " + r.status() + " | " + line);
    for (String f : fragments) {
      assertTrue(line.contains(f), id + ": \"" + f + "\" missing from: " + line);
    }
    assertFalse(r.stderr().contains("\tat ") || r.stderr().contains("Exception in thread"),
        id + ": stack trace on stderr:\n" + r.stderr());
  }

  // ---- net-conf.json (kube mode) ---------------------------------------------------------

  static final String NET = "\"Network\":\"10.244.0.0/16\"";

  static Stream<Arguments> netConfFiles() {
    return Stream.of(
        Arguments.of("C-EMPTY", "", new String[] {"network config is empty"}),
        Arguments.of("C-TRUNCATED", "{" + NET + ",", new String[] {"not valid JSON", "line 1"}),
        Arguments.of("C-NOT-OBJECT", "[\"10.244.0.0/16\"]", new String[] {"must be a JSON object", "an array"}),
        Arguments.of("C-TRAILING-GARBAGE", "{" + NET + "} extra", new String[] {"not valid JSON"}),
        Arguments.of("C-TOO-DEEP", "[".repeat(5000) + "]".repeat(5000), new String[] {"not valid JSON", "nesting depth"}),
        Arguments.of("C-DUPLICATE-KEY", "{" + NET + "," + NET + "}", new String[] {"not valid JSON", "Duplicate field 'Network'"}),
        Arguments.of("C-DUPLICATE-KEY-CASE", "{" + NET + ",\"network\":\"10.1.0.0/16\"}", new String[] {"\"Network\" and \"network\" differ only by case"}),
        Arguments.of("C-NETWORK-MISSING", "{\"SubnetLen\":24}", new String[] {"Network: missing"}),
        Arguments.of("C-NETWORK-NUMBER", "{\"Network\":10}", new String[] {"Network: expected a CIDR string", "10 (a number)"}),
        Arguments.of("C-NETWORK-PREFIX-33", "{\"Network\":\"10.244.0.0/33\"}", new String[] {"Network", "10.244.0.0/33"}),
        Arguments.of("C-NETWORK-NO-PREFIX", "{\"Network\":\"10.244.0.0\"}", new String[] {"Network", "has no prefix length"}),
        Arguments.of("C-NETWORK-GARBAGE", "{\"Network\":\"ten.dot/16\"}", new String[] {"Network", "ten.dot/16", "not a valid CIDR"}),
        Arguments.of("C-NETWORK-IPV6", "{\"Network\":\"fc00::/48\"}", new String[] {"Network", "fc00::/48", "not an IPv4 network"}),
        Arguments.of("C-SUBNETLEN-NEGATIVE", "{" + NET + ",\"SubnetLen\":-1}", new String[] {"SubnetLen", "-1"}),
        Arguments.of("C-SUBNETLEN-STRING", "{" + NET + ",\"SubnetLen\":\"24\"}", new String[] {"SubnetLen", "\"24\" (a string)"}),
        Arguments.of("C-SUBNETLEN-FRACTION", "{" + NET + ",\"SubnetLen\":24.5}", new String[] {"SubnetLen", "24.5"}),
        Arguments.of("C-SUBNETLEN-TOO-LONG", "{" + NET + ",\"SubnetLen\":40}", new String[] {"SubnetLen", "at most 32", "40"}),
        Arguments.of("C-SUBNETMIN-NOT-IP", "{" + NET + ",\"SubnetMin\":\"first\"}", new String[] {"SubnetMin", "\"first\""}),
        Arguments.of("C-SUBNETMIN-CIDR", "{" + NET + ",\"SubnetMin\":\"10.244.1.0/24\"}", new String[] {"SubnetMin", "not a CIDR"}),
        Arguments.of("C-SUBNETMAX-IPV6", "{" + NET + ",\"SubnetMax\":\"fc00::1\"}", new String[] {"SubnetMax", "not an IPv4 address"}),
        Arguments.of("C-IPV6NETWORK-MISSING", "{" + NET + ",\"EnableIPv6\":true}", new String[] {"IPv6Network: missing"}),
        Arguments.of("C-IPV6NETWORK-IPV4", "{" + NET + ",\"EnableIPv6\":true,\"IPv6Network\":\"10.1.0.0/16\"}", new String[] {"IPv6Network", "not an IPv6 network"}),
        Arguments.of("C-IPV6SUBNETLEN-TOO-LONG", "{" + NET + ",\"EnableIPv6\":true,\"IPv6Network\":\"fc00::/48\",\"IPv6SubnetLen\":200}", new String[] {"IPv6SubnetLen", "at most 128", "200"}),
        Arguments.of("C-IPV6SUBNETMIN-IPV4", "{" + NET + ",\"EnableIPv6\":true,\"IPv6Network\":\"fc00::/48\",\"IPv6SubnetMin\":\"10.244.1.0\"}", new String[] {"IPv6SubnetMin", "not an IPv6 address"}),
        Arguments.of("C-ENABLEIPV4-STRING", "{" + NET + ",\"EnableIPv4\":\"yes\"}", new String[] {"EnableIPv4: expected true or false", "\"yes\""}),
        Arguments.of("C-ENABLEIPV6-NUMBER", "{" + NET + ",\"EnableIPv6\":1}", new String[] {"EnableIPv6: expected true or false", "1 (a number)"}),
        Arguments.of("C-ENABLENFTABLES-STRING", "{" + NET + ",\"EnableNFTables\":\"true\"}", new String[] {"EnableNFTables: expected true or false"}),
        Arguments.of("C-BOTH-FAMILIES-OFF", "{" + NET + ",\"EnableIPv4\":false}", new String[] {"at least one address family must be enabled"}),
        Arguments.of("C-BACKEND-STRING", "{" + NET + ",\"Backend\":\"vxlan\"}", new String[] {"Backend: expected an object", "\"vxlan\" (a string)"}),
        Arguments.of("C-BACKEND-NULL", "{" + NET + ",\"Backend\":null}", new String[] {"Backend: expected an object", "null"}),
        Arguments.of("C-BACKEND-WITHOUT-TYPE", "{" + NET + ",\"Backend\":{\"VNI\":1}}", new String[] {"Backend.Type: missing"}),
        Arguments.of("C-BACKEND-TYPE-NUMBER", "{" + NET + ",\"Backend\":{\"Type\":5}}", new String[] {"Backend.Type", "5 (a number)"}),
        Arguments.of("C-BACKEND-TYPE-BLANK", "{" + NET + ",\"Backend\":{\"Type\":\"  \"}}", new String[] {"Backend.Type", "a backend name"}));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("netConfFiles")
  void badNetConfFileIsFatalWithOneLine(String id, String json, String[] fragments) throws Exception {
    Path f = dir.resolve(id + ".json");
    Files.writeString(f, json);
    String[] all = Stream.concat(Stream.of(f.toString()), Stream.of(fragments)).toArray(String[]::new);
    assertFatal(id, run(id, kube(f)), 1, all);
  }

  static List<String> kube(Path conf) {
    return List.of("--kube-subnet-mgr", "--kube-api-url", "http://127.0.0.1:1", "--net-config-path", conf.toString(),
        "--subnet-file", dir.resolve("subnet.env").toString());
  }

  /** C-HUGE: 10 MB of otherwise valid JSON is refused before it is read. */
  @Test
  void hugeNetConfIsRefusedBeforeReading() throws Exception {
    Path f = dir.resolve("huge.json");
    Files.writeString(f, "{" + NET + ",\"Padding\":\"" + "x".repeat(10 * 1024 * 1024) + "\"}");
    Result r = run("C-HUGE", kube(f));
    assertFatal("C-HUGE", r, 1, f.toString(), "too large", "limit is 1048576");
    Files.delete(f);
  }

  /** C-NOT-UTF8: bytes that are not UTF-8. */
  @Test
  void netConfThatIsNotUtf8IsFatal() throws Exception {
    Path f = dir.resolve("latin1.json");
    Files.write(f, "{\"Network\":\"10.244.0.0/16\",\"Note\":\"caf\u00e9\"}".getBytes(StandardCharsets.ISO_8859_1));
    assertFatal("C-NOT-UTF8", run("C-NOT-UTF8", kube(f)), 1, f.toString(), "not valid UTF-8");
  }

  /** C-IS-DIRECTORY: the path names a directory. */
  @Test
  void netConfThatIsADirectoryIsFatal() throws Exception {
    Path d = Files.createDirectories(dir.resolve("conf-dir"));
    assertFatal("C-IS-DIRECTORY", run("C-IS-DIRECTORY", kube(d)), 1, "cannot read network config " + d);
  }

  // ---- config in etcd: allocation checks (waited on) and backend options (fatal) ----------

  /**
   * A config key that does not parse or check is waited on as upstream does (an operator fixes
   * it while flanneld retries): the waiting line names the key, the endpoint and the field; a
   * signal then ends the daemon with status 0.
   */
  static Stream<Arguments> etcdConfigsWaitedOn() {
    return Stream.of(
        Arguments.of("E-CONF-NOT-JSON", "Network=10.244.0.0/16", new String[] {"not valid JSON"}),
        Arguments.of("E-CONF-NETWORK-TOO-SMALL", "{\"Network\":\"10.244.0.0/30\"}", new String[] {"Network", "too small", "/28"}),
        Arguments.of("E-CONF-SUBNETLEN-NOT-LONGER", "{" + NET + ",\"SubnetLen\":16}", new String[] {"SubnetLen", "longer than the prefix", "16"}),
        Arguments.of("E-CONF-SUBNETLEN-31", "{" + NET + ",\"SubnetLen\":31}", new String[] {"SubnetLen", "at most 30", "31"}),
        Arguments.of("E-CONF-SUBNETMIN-OUTSIDE", "{" + NET + ",\"SubnetMin\":\"10.99.1.0\"}", new String[] {"SubnetMin", "10.99.1.0", "not inside Network"}),
        Arguments.of("E-CONF-SUBNETMAX-UNALIGNED", "{" + NET + ",\"SubnetMax\":\"10.244.200.7\"}", new String[] {"SubnetMax", "10.244.200.7", "boundary"}),
        Arguments.of("E-CONF-MIN-ABOVE-MAX", "{" + NET + ",\"SubnetMin\":\"10.244.9.0\",\"SubnetMax\":\"10.244.3.0\"}", new String[] {"SubnetMin", "above", "SubnetMax"}));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("etcdConfigsWaitedOn")
  void badConfigInEtcdIsWaitedOnWithALineNamingIt(String id, String config, String[] fragments) throws Exception {
    String prefix = "/jfl-bad/" + id;
    etcd.put(prefix + "/config", config);
    String[] all = Stream.concat(Stream.of(prefix + "/config", NetnsEtcd.ENDPOINT), Stream.of(fragments))
        .toArray(String[]::new);
    assertWaits(id, runUntilWaiting(id, etcdArgs(prefix)), all);
  }

  /** E-CONF-MISSING: no config key under the prefix: waited on, the line names key and endpoint. */
  @Test
  void missingConfigKeyIsWaitedOnNamingTheKey() throws Exception {
    assertWaits("E-CONF-MISSING", runUntilWaiting("E-CONF-MISSING", etcdArgs("/jfl-bad/absent")),
        "/jfl-bad/absent/config", "not found", NetnsEtcd.ENDPOINT);
  }

  static final String WAITING = "Couldn't fetch network config: ";

  /**
   * Starts the daemon, waits (generously) for its first waiting line, then sends SIGTERM and
   * waits for the exit.
   */
  static Result runUntilWaiting(String id, List<String> args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns.name(), LAUNCHER.toString()));
    cmd.addAll(args);
    Path err = dir.resolve(id + ".err");
    Path out = dir.resolve(id + ".out");
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("FLANNELD_"));
    pb.environment().put("NODE_NAME", "node-a");
    Process p = pb.start();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
      while (!(Files.readString(err, StandardCharsets.UTF_8) + Files.readString(out, StandardCharsets.UTF_8))
          .contains(WAITING)) {
        if (!p.isAlive()) {
          throw new AssertionError(id + ": flanneld exited " + p.exitValue() + " instead of waiting:\n"
              + Files.readString(err, StandardCharsets.UTF_8));
        }
        if (System.nanoTime() > deadline) {
          throw new AssertionError(id + ": no waiting line:\n" + Files.readString(err, StandardCharsets.UTF_8));
        }
        Thread.sleep(200);
      }
      p.destroy(); // SIGTERM, to the JVM itself (ip netns exec and the launcher exec in place)
      if (!p.waitFor(90, TimeUnit.SECONDS)) {
        throw new AssertionError(id + ": flanneld did not stop on SIGTERM while waiting");
      }
    } finally {
      if (p.isAlive()) {
        p.destroyForcibly();
      }
    }
    return new Result(p.exitValue(), Files.readString(err, StandardCharsets.UTF_8),
        Files.readString(out, StandardCharsets.UTF_8));
  }

  /** Status 0 after SIGTERM, no fatal line, and a waiting line holding every fragment. */
  static void assertWaits(String id, Result r, String... fragments) {
    assertEquals(0, r.status(), id + ": " + r.stderr());
    String all = r.stderr() + r.stdout();
    assertTrue(all.lines().noneMatch(l -> l.startsWith("flanneld: ")), id + ": a fatal line in:\n" + all);
    String line = all.lines().filter(l -> l.contains(WAITING)).findFirst().orElseThrow();
    // printed so the catalogue's "actual" column can be refreshed from the test report
    System.out.println("CATALOGUE " + id + " | waits, exit 0 on SIGTERM | " + line);
    for (String f : fragments) {
      assertTrue(line.contains(f), id + ": \"" + f + "\" missing from: " + line);
    }
    assertFalse(all.contains("\tat ") || all.contains("Exception in thread"), id + ": stack trace:\n" + all);
  }

  /** Backend options and type are read when the backend starts: fatal, as upstream. */
  static Stream<Arguments> etcdConfigs() {
    String vx = "\"Backend\":{\"Type\":\"vxlan\"";
    return Stream.of(
        Arguments.of("B-VNI-TOO-BIG", "{" + NET + "," + vx + ",\"VNI\":16777216}}", new String[] {"VNI", "0..16777215", "16777216"}),
        Arguments.of("B-VNI-NEGATIVE", "{" + NET + "," + vx + ",\"VNI\":-1}}", new String[] {"VNI", "-1"}),
        Arguments.of("B-VNI-STRING", "{" + NET + "," + vx + ",\"VNI\":\"1\"}}", new String[] {"VNI", "\"1\""}),
        Arguments.of("B-VNI-HUGE", "{" + NET + "," + vx + ",\"VNI\":99999999999999999999}}", new String[] {"VNI", "99999999999999999999"}),
        Arguments.of("B-PORT-TOO-BIG", "{" + NET + "," + vx + ",\"Port\":70000}}", new String[] {"Port", "0..65535", "70000"}),
        Arguments.of("B-PORT-NEGATIVE", "{" + NET + "," + vx + ",\"Port\":-8472}}", new String[] {"Port", "-8472"}),
        Arguments.of("B-MTU-TOO-SMALL", "{" + NET + "," + vx + ",\"MTU\":100}}", new String[] {"MTU 100", "below the IPv4 minimum of 68"}),
        Arguments.of("B-MTU-TOO-BIG", "{" + NET + "," + vx + ",\"MTU\":70000}}", new String[] {"MTU", "70000"}),
        Arguments.of("B-GBP-STRING", "{" + NET + "," + vx + ",\"GBP\":\"yes\"}}", new String[] {"GBP", "true or false"}),
        Arguments.of("B-DIRECTROUTING-NUMBER", "{" + NET + "," + vx + ",\"DirectRouting\":1}}", new String[] {"DirectRouting", "true or false"}),
        Arguments.of("B-UDP-PORT-ZERO", "{" + NET + ",\"Backend\":{\"Type\":\"udp\",\"Port\":0}}", new String[] {"udp backend option \"Port\"", "1..65535", "got 0"}),
        Arguments.of("B-UDP-PORT-STRING", "{" + NET + ",\"Backend\":{\"Type\":\"udp\",\"Port\":\"8285\"}}", new String[] {"\"Port\"", "1..65535", "\"8285\""}),
        Arguments.of("B-UNKNOWN-TYPE", "{" + NET + ",\"Backend\":{\"Type\":\"ipip\"}}", new String[] {"ipip", "vxlan", "host-gw", "udp"}));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("etcdConfigs")
  void badConfigInEtcdIsFatalWithOneLine(String id, String config, String[] fragments) throws Exception {
    String prefix = "/jfl-bad/" + id;
    etcd.put(prefix + "/config", config);
    assertFatal(id, run(id, etcdArgs(prefix)), 1, fragments);
  }

  static List<String> etcdArgs(String prefix, String... more) {
    List<String> a = new ArrayList<>(List.of("--etcd-endpoints", NetnsEtcd.ENDPOINT, "--etcd-prefix", prefix,
        "--iface", "eth0", "--subnet-file", dir.resolve(prefix.replace('/', '_') + ".env").toString()));
    a.addAll(List.of(more));
    return a;
  }


  // ---- flags through the launcher --------------------------------------------------------

  static Stream<Arguments> badFlags() {
    return Stream.of(
        Arguments.of("L-RENEW-MARGIN", List.of("--subnet-lease-renew-margin=0"), "--subnet-lease-renew-margin"),
        Arguments.of("L-ETCD-KEY-WITHOUT-CERT", List.of("--etcd-keyfile=/k"), "--etcd-certfile"),
        Arguments.of("L-HEALTHZ-PORT", List.of("--healthz-port=70000"), "--healthz-port"),
        Arguments.of("L-UNKNOWN-FLAG", List.of("--kube-subnet-manager"), "--kube-subnet-manager"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badFlags")
  void badFlagExitsTwoThroughTheLauncher(String id, List<String> args, String flag) throws Exception {
    assertFatal(id, run(id, args), 2, flag);
  }

  // ---- secrets ---------------------------------------------------------------------------

  /** S-PASSWORD-NOT-LOGGED: at the highest verbosity, a daemon waiting for etcd never prints the password. */
  @Test
  void passwordIsNeverPrintedEvenAtHighVerbosity() throws Exception {
    String secret = "Pw-q7Lm2-never-print-me";
    Result r = runUntilWaiting("S-PASSWORD", List.of("-v=10", "--etcd-endpoints", "http://127.0.0.1:2",
        "--etcd-username", "flannel", "--etcd-password", secret, "--iface", "eth0",
        "--subnet-file", dir.resolve("s.env").toString()));
    assertEquals(0, r.status(), r.stderr());
    assertFalse(r.stderr().contains(secret), r.stderr());
    assertFalse(r.stdout().contains(secret), r.stdout());
    assertTrue(r.stderr().contains("http://127.0.0.1:2") && r.stderr().contains("\"flannel\""), r.stderr());
  }
}
