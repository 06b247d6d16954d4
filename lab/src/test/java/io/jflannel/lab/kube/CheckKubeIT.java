package io.jflannel.lab.kube;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jflannel.lab.Exec;
import io.jflannel.lab.LabStoreKind;
import io.jflannel.lab.LabTestSupport;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code flanneld check --kube-subnet-mgr} (issue 23 item 1) against a node the packaged daemon
 * set up from the lab's Kubernetes API mock ({@link KubeApiMock}, run inside the test's own
 * namespace on 127.0.0.1): the Node {@code self} gets its podCIDR, a peer Node carries the
 * annotations another flanneld would have written, the daemon annotates {@code self}, programs
 * the peer and is stopped (its dataplane stays). Each test injects one fault and expects the FAIL
 * line; every check run must send the API nothing but GETs.
 */
class CheckKubeIT {
  static final String P = "flannel.alpha.coreos.com/";
  static final String PEER_MAC = "2a:00:00:00:00:11";
  static final String API = "http://127.0.0.1:6443";
  static final ObjectMapper JSON = new ObjectMapper();
  static String ns;
  static Process mock;
  static BufferedReader replies;
  static PrintStream commands;
  @TempDir static Path dir;
  static Path netConf;
  static Path subnetFile;
  static Path cniConf;

  @BeforeAll
  static void node() throws Exception {
    LabTestSupport.requirePrerequisites(LabStoreKind.KUBE, true);
    ns = "jfl-chkk-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(1 << 24));
    Exec.run("ip", "netns", "add", ns).check();
    in("ip", "link", "set", "lo", "up");
    in("ip", "link", "add", "eth0", "type", "veth", "peer", "name", "eth0-peer");
    in("ip", "addr", "add", "192.0.2.10/24", "dev", "eth0");
    in("ip", "link", "set", "eth0", "up");
    in("ip", "link", "set", "eth0-peer", "up");
    in("sysctl", "-qw", "net.ipv4.ip_forward=1");

    String java = ProcessHandle.current().info().command().orElse("java");
    mock = new ProcessBuilder(Exec.inNetns(ns, java, "-XX:+UseSerialGC", "-cp", LabTestSupport.labClasspath(),
        KubeApiMock.class.getName(), "127.0.0.1", "6443"))
        .redirectError(dir.resolve("kube-api.log").toFile()).start();
    replies = new BufferedReader(new InputStreamReader(mock.getInputStream(), StandardCharsets.UTF_8));
    commands = new PrintStream(mock.getOutputStream(), true, StandardCharsets.UTF_8);
    String ready = replies.readLine();
    assertTrue(ready != null && ready.startsWith("READY"), "mock: " + ready + " " + Files.readString(
        dir.resolve("kube-api.log")));
    mock("ADD-NODE self 10.244.1.0/24 192.0.2.10");
    mock("ADD-NODE peer 10.244.7.0/24 192.0.2.11");
    mock("ANNOTATE-NODE peer " + P + "backend-type=vxlan " + P + "backend-data={\"VNI\":1,\"VtepMAC\":\"" + PEER_MAC
        + "\"} " + P + "public-ip=192.0.2.11 " + P + "kube-subnet-manager=true");

    netConf = dir.resolve("net-conf.json");
    Files.writeString(netConf, "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}");
    subnetFile = dir.resolve("run/subnet.env");
    cniConf = dir.resolve("10-flannel.conflist");
    Files.writeString(cniConf, "{\"name\":\"cbr0\",\"cniVersion\":\"0.3.1\",\"plugins\":[{\"type\":\"flannel\","
        + "\"delegate\":{\"hairpinMode\":true,\"isDefaultGateway\":true}},{\"type\":\"portmap\","
        + "\"capabilities\":{\"portMappings\":true}}]}");
    Process daemon = start(List.of(), dir.resolve("daemon.log"));
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
      while (!(Files.readString(dir.resolve("daemon.log")).contains("] Running backend.")
          && Exec.runIn(ns, "ip", "route", "show", "10.244.7.0/24").stdout().contains("flannel.1"))) {
        assertTrue(daemon.isAlive(), "daemon exited:\n" + Files.readString(dir.resolve("daemon.log")));
        assertTrue(System.nanoTime() < deadline, "daemon not ready:\n" + Files.readString(dir.resolve("daemon.log")));
        Thread.sleep(200);
      }
    } finally {
      daemon.destroy(); // SIGTERM: the dataplane stays, the annotations too
      assertTrue(daemon.waitFor(30, TimeUnit.SECONDS));
    }
    assertEquals("true", annotations("self").path(P + "kube-subnet-manager").asText(), "the daemon annotated self");
    String subnetEnv = Files.readString(subnetFile);
    String gateway = line(subnetEnv, "FLANNEL_SUBNET");
    in("ip", "link", "add", "cni0", "type", "bridge");
    in("ip", "addr", "add", gateway, "dev", "cni0");
    in("ip", "link", "set", "cni0", "mtu", line(subnetEnv, "FLANNEL_MTU"), "up");
  }

  @AfterAll
  static void cleanup() throws Exception {
    try {
      if (mock != null) {
        mock.destroy();
        if (!mock.waitFor(20, TimeUnit.SECONDS)) {
          mock.destroyForcibly();
        }
      }
    } finally {
      if (ns != null) {
        Exec.run("ip", "netns", "del", ns);
      }
    }
  }

  static void in(String... command) {
    Exec.runIn(ns, command).check();
  }

  static String line(String env, String name) {
    return env.lines().filter(l -> l.startsWith(name + "=")).findFirst().orElseThrow().substring(name.length() + 1);
  }

  /** One control command to the mock; returns what follows {@code OK}. */
  static synchronized String mock(String command) throws Exception {
    commands.println(command);
    String reply = replies.readLine();
    assertTrue(reply != null && reply.startsWith("OK"), command + " -> " + reply);
    return reply.length() > 3 ? reply.substring(3) : "";
  }

  static JsonNode annotations(String node) throws Exception {
    return JSON.readTree(mock("GET-NODE " + node)).path("metadata").path("annotations");
  }

  static Process start(List<String> first, Path output) throws Exception {
    List<String> cmd = new ArrayList<>(Exec.inNetns(ns, LabTestSupport.flanneld().toString()));
    cmd.addAll(first);
    cmd.addAll(List.of("--kube-subnet-mgr", "--kube-api-url", API, "--net-config-path", netConf.toString(),
        "--iface", "eth0", "--subnet-file", subnetFile.toString(), "--ip-masq"));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(output.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("FLANNELD_"));
    pb.environment().put("NODE_NAME", "self");
    return pb.start();
  }

  record Result(int exit, String out, List<String> requests) {
    List<String> fails() {
      return out.lines().filter(l -> l.startsWith("FAIL")).toList();
    }
  }

  /** Runs the packaged check and collects the requests the API mock received meanwhile. */
  static Result check() throws Exception {
    mock("REQUESTS"); // forget the earlier ones (the control commands' own included)
    Path out = dir.resolve("check.out");
    Process p = start(List.of("check", "--cni-conf", cniConf.toString()), out);
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "check did not end");
    String requests = mock("REQUESTS");
    List<String> seen = requests.isEmpty() ? List.of() : Arrays.asList(requests.split(";"));
    return new Result(p.exitValue(), Files.readString(out), seen);
  }

  /** Every check run reads the own Node and writes nothing: no PATCH, PUT, POST or DELETE. */
  @AfterEach
  void healthyAgainAndReadOnly() throws Exception {
    Result r = check();
    assertEquals(List.of(), r.fails(), "a fault was not undone:\n" + r.out());
    assertReadOnly(r);
  }

  static void assertReadOnly(Result r) {
    assertTrue(r.requests().contains("GET /api/v1/nodes/self"), "the check read its Node: " + r.requests());
    assertEquals(List.of(), r.requests().stream().filter(q -> !q.startsWith("GET ")).toList(),
        "the check wrote to the API");
  }

  @Test
  void aHealthyNodeReportsNoFailAndWritesNothing() throws Exception {
    Result r = check();
    assertEquals(0, r.exit(), r.out());
    assertEquals(List.of(), r.fails(), r.out());
    for (String expected : List.of("OK   own lease: 10.244.1.0/24 published with PublicIP 192.0.2.10",
        "OK   subnet.env: ", "OK   device flannel.1: type vxlan, VNI 1",
        "OK   peer 10.244.7.0/24 (192.0.2.11): route, neighbour, FDB entry in place", "OK   traffic rules: ")) {
      assertTrue(r.out().lines().anyMatch(l -> l.startsWith(expected)), expected + "\n" + r.out());
    }
    assertReadOnly(r);
  }

  @Test
  void aDeletedRouteFails() throws Exception {
    in("ip", "route", "del", "10.244.7.0/24", "dev", "flannel.1");
    try {
      Result r = check();
      assertEquals(1, r.exit(), r.out());
      assertEquals(List.of("FAIL peer 10.244.7.0/24 (192.0.2.11): route 10.244.7.0/24 via 10.244.7.0 dev flannel.1"
          + " onlink missing | see: ip route show dev flannel.1 | hint: missing: without it pod traffic to this peer"
          + " takes the default route; a running flanneld puts it back within seconds, else look at its log"),
          r.fails());
      assertReadOnly(r);
    } finally {
      in("ip", "route", "replace", "10.244.7.0/24", "via", "10.244.7.0", "dev", "flannel.1", "onlink");
    }
  }

  /** The Node publishes another VTEP MAC than the device has: peers would send to a MAC nobody owns. */
  @Test
  void aPublishedVtepMacOtherThanTheDevicesFails() throws Exception {
    String data = annotations("self").path(P + "backend-data").asText();
    String device = JSON.readTree(data).path("VtepMAC").asText();
    assertTrue(Exec.runIn(ns, "ip", "link", "show", "flannel.1").stdout().contains("link/ether " + device));
    mock("ANNOTATE-NODE self " + P + "backend-data={\"VNI\":1,\"VtepMAC\":\"2a:00:00:00:00:99\"}");
    try {
      Result r = check();
      assertEquals(1, r.exit(), r.out());
      assertEquals(1, r.fails().size(), r.out());
      assertTrue(r.fails().get(0).startsWith("FAIL flannel.1 MAC (published VtepMAC): " + device
          + ", flanneld sets 2a:00:00:00:00:99 | see: ip -d link show flannel.1"), r.fails().get(0));
      assertReadOnly(r);
    } finally {
      mock("ANNOTATE-NODE self " + P + "backend-data=" + data);
    }
  }

  @Test
  void aPublishedPublicIpOtherThanTheInterfacesFails() throws Exception {
    mock("ANNOTATE-NODE self " + P + "public-ip=192.0.2.99");
    try {
      Result r = check();
      assertEquals(1, r.exit(), r.out());
      assertEquals(List.of("FAIL own lease: 10.244.1.0/24 publishes PublicIP 192.0.2.99, this node advertises"
          + " 192.0.2.10 | see: kubectl get node self -o yaml | hint: peers send this node's pod traffic to the wrong"
          + " address; a running flanneld publishes its address again, else restart it"), r.fails());
      assertReadOnly(r);
    } finally {
      mock("ANNOTATE-NODE self " + P + "public-ip=192.0.2.10");
    }
  }
}
