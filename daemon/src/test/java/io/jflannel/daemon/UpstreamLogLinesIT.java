package io.jflannel.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 19 item 6: the packaged daemon, run against a real etcd in a namespace, prints the
 * lines operators grep in upstream's words and in klog's format (date, microseconds, the
 * process id, file:line), from start-up through a peer added and removed to a clean exit; and
 * with {@code FLANNELD_LOG_FORMAT=json} every line it prints is one JSON object, the first one
 * included.
 */
class UpstreamLogLinesIT {
  static final String NETWORK = "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"host-gw\"}%s}";
  static final String HEADER = "[IWEF]\\d{4} \\d{2}:\\d{2}:\\d{2}\\.\\d{6} +\\d+ [^ ]+:\\d+\\] ";

  static TestNetns ns;
  static NetnsEtcd etcd;
  @TempDir static Path dir;

  @BeforeAll
  static void namespace() throws Exception {
    ns = TestNetns.createWithPrefix("jfl-log-", "etcd", "etcdctl", "nft", "iptables-nft-save", "iptables-legacy-save");
    ns.run("ip", "link", "set", "lo", "up");
    ns.run("ip", "link", "add", "eth0", "type", "veth", "peer", "name", "eth0-peer");
    ns.run("ip", "addr", "add", "192.0.2.10/24", "dev", "eth0");
    ns.run("ip", "link", "set", "eth0", "up");
    ns.run("ip", "link", "set", "eth0-peer", "up");
    ns.run("ip", "route", "add", "default", "via", "192.0.2.1", "dev", "eth0");
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

  static Process daemon(String name, String prefix, Map<String, String> env, String... more) throws IOException {
    List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns.name(), FatalStartIT.LAUNCHER.toString(),
        "--etcd-endpoints", NetnsEtcd.ENDPOINT, "--etcd-prefix", prefix, "--ip-masq",
        "--subnet-file", dir.resolve(name + ".env").toString()));
    cmd.addAll(List.of(more));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(dir.resolve(name + ".log").toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("FLANNELD_"));
    pb.environment().putAll(env);
    return pb.start();
  }

  static String log(String name) throws IOException {
    return Files.readString(dir.resolve(name + ".log"), StandardCharsets.UTF_8);
  }

  interface Check {
    boolean ok() throws Exception;
  }

  static void await(String what, Process p, String name, Check done) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (System.nanoTime() < deadline) {
      if (done.ok()) {
        return;
      }
      if (!p.isAlive()) {
        throw new AssertionError("daemon exited " + p.exitValue() + " while waiting for " + what + ":\n" + log(name));
      }
      Thread.sleep(100);
    }
    throw new AssertionError("timed out waiting for " + what + ":\n" + log(name));
  }

  static int exitStatus(Process p) throws InterruptedException {
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      p.waitFor();
      return -1;
    }
    return p.exitValue();
  }

  /** An INFO line of process {@code pid} whose message is exactly {@code message}. */
  static Pattern info(long pid, String message) {
    return line('I', pid, Pattern.quote(message));
  }

  static Pattern line(char severity, long pid, String messageRegex) {
    return Pattern.compile(severity + "\\d{4} \\d{2}:\\d{2}:\\d{2}\\.\\d{6} " + String.format("%7d", pid)
        + " [A-Za-z]+\\.java:\\d+\\] " + messageRegex);
  }

  static boolean has(String log, Pattern p) {
    return log.lines().anyMatch(l -> p.matcher(l).matches());
  }

  @Test
  void theKeyLinesInUpstreamsWordsAndKlogsFormat() throws Exception {
    String prefix = "/jfl-log-text";
    etcd.put(prefix + "/config", NETWORK.formatted(""));
    // A previous run on another network: the rules of that one are recycled, as upstream says.
    Files.writeString(dir.resolve("text.env"), "FLANNEL_NETWORK=10.50.0.0/16\nFLANNEL_SUBNET=10.50.3.1/24\n"
        + "FLANNEL_MTU=1500\nFLANNEL_IPMASQ=true\n");
    Process p = daemon("text", prefix, Map.of(), "--healthz-ip", "127.0.0.1", "--healthz-port", "18471");
    long pid = p.pid(); // `ip netns exec` and the launcher exec in place: this is the JVM
    try {
      await("start-up", p, "text", () -> has(log("text"), info(pid, "Running backend.")));
      etcd.put(prefix + "/subnets/10.244.77.0-24", "{\"PublicIP\":\"192.0.2.20\",\"BackendType\":\"host-gw\"}");
      await("peer added", p, "text", () -> has(log("text"), info(pid, "Subnet added: 10.244.77.0/24 via 192.0.2.20")));
      etcd.deletePrefix(prefix + "/subnets/10.244.77.0-24");
      await("peer removed", p, "text", () -> has(log("text"), info(pid, "Subnet removed: 10.244.77.0/24")));
    } finally {
      p.destroy(); // SIGTERM
    }
    assertEquals(0, exitStatus(p), log("text"));
    String log = log("text");
    String subnet = Files.readAllLines(dir.resolve("text.env")).stream().filter(l -> l.startsWith("FLANNEL_SUBNET="))
        .findFirst().orElseThrow().replaceFirst("FLANNEL_SUBNET=(\\d+\\.\\d+\\.\\d+)\\.1/24", "$1.0/24");
    List<Pattern> pinned = List.of(
        info(pid, "Installing signal handlers"),
        info(pid, "Start healthz server on 127.0.0.1:18471"),
        info(pid, "Found network config - Backend type: host-gw"),
        info(pid, "Starting flannel in iptables mode..."),
        info(pid, "Determining IP address of default interface"),
        info(pid, "Using interface with name eth0 and address 192.0.2.10"),
        info(pid, "Defaulting external address to interface address (192.0.2.10)"),
        line('E', pid, Pattern.quote("Found previously leased subnet (10.50.3.0/24) that is not compatible with the "
            + "Etcd network config, ignoring")),
        info(pid, "Picking subnet in range 10.244.1.0 ... 10.244.255.0"),
        info(pid, "Allocated lease (ip: " + subnet + " ipv6: ::/0) to current node (192.0.2.10)"),
        info(pid, "Current network or subnet (10.244.0.0/16, " + subnet + ") is not equal to previous one "
            + "(10.50.0.0/16, 10.50.3.0/24), trying to recycle old iptables rules"),
        info(pid, "Setting up masking rules"),
        info(pid, "Changing default FORWARD chain policy to ACCEPT"),
        info(pid, "Wrote subnet file to " + dir.resolve("text.env")),
        info(pid, "flannel is ready"),
        info(pid, "Watching for new subnet leases"),
        info(pid, "Running backend."),
        info(pid, "Subnet added: 10.244.77.0/24 via 192.0.2.20"),
        info(pid, "Subnet removed: 10.244.77.0/24"),
        info(pid, "Exiting cleanly..."));
    int last = -1;
    List<String> lines = log.lines().toList();
    for (Pattern want : pinned) {
      int at = -1;
      for (int i = 0; i < lines.size() && at < 0; i++) {
        if (want.matcher(lines.get(i)).matches()) {
          at = i;
        }
      }
      assertTrue(at >= 0, "missing " + want + "\n" + log);
      assertTrue(at > last, "out of upstream's order: " + want + "\n" + log);
      last = at;
    }
    Pattern header = Pattern.compile(HEADER + ".*");
    for (String l : lines) {
      assertTrue(header.matcher(l).matches(), "not a klog line: " + l + "\n" + log);
    }

    // Started again on the same node: the lease in etcd is found by our address and reused.
    Process again = daemon("text", prefix, Map.of());
    try {
      await("restart", again, "text", () -> has(log("text"), info(again.pid(), "Running backend.")));
    } finally {
      again.destroy();
    }
    assertEquals(0, exitStatus(again), log("text"));
    assertTrue(has(log("text"), info(again.pid(), "Found lease (ip: " + subnet + " ipv6: ::/0) for current IP "
        + "(192.0.2.10), reusing")), log("text"));
  }

  static List<JsonNode> jsonLines(String name) throws IOException {
    ObjectMapper json = new ObjectMapper();
    List<JsonNode> lines = new ArrayList<>();
    for (String l : log(name).lines().toList()) {
      JsonNode n = json.readTree(l); // throws on anything but JSON
      assertTrue(n.isObject() && n.hasNonNull("ts") && n.hasNonNull("level") && n.hasNonNull("caller")
          && n.hasNonNull("msg"), l);
      assertTrue(n.get("ts").asText().matches("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{6}Z"), l);
      assertTrue(n.get("caller").asText().matches("[A-Za-z]+\\.java:\\d+"), l);
      lines.add(n);
    }
    assertEquals("Installing signal handlers", lines.get(0).get("msg").asText(), "the first line is JSON too");
    return lines;
  }

  static List<String> messages(List<JsonNode> lines) {
    return lines.stream().map(n -> n.get("level").asText() + " " + n.get("msg").asText()).toList();
  }

  /** vxlan with nftables rules, logging JSON from the environment, until its lease is deleted by someone else. */
  @Test
  void jsonFromTheEnvironmentIsOneObjectPerLineFromTheFirstLine() throws Exception {
    String prefix = "/jfl-log-json";
    etcd.put(prefix + "/config", "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"},"
        + "\"EnableNFTables\":true}");
    Process p = daemon("json", prefix, Map.of("FLANNELD_LOG_FORMAT", "json"), "--iface", "eth0",
        "--public-ip", "192.0.2.10");
    try {
      await("start-up", p, "json", () -> log("json").contains("\"msg\":\"Running backend.\""));
      etcd.deletePrefix(prefix + "/subnets/");
      assertEquals(0, exitStatus(p), log("json"));
    } finally {
      if (p.isAlive()) {
        p.destroy();
        exitStatus(p);
      }
    }
    List<String> msgs = messages(jsonLines("json"));
    for (String want : List.of(
        "info VXLAN config: VNI=1 Port=0 GBP=false Learning=false DirectRouting=false",
        "info Starting flannel in nftables mode...",
        "info Using interface with name eth0 and address 192.0.2.10",
        "info Using 192.0.2.10 as external address",
        "info nftables: setting up masking rules (ipv4)",
        "info Changing default FORWARD chain policy to ACCEPT",
        "info watching for new subnet leases",
        "info Running backend.",
        "error Lease has been revoked. Shutting down daemon.",
        "info Exiting cleanly...")) {
      assertTrue(msgs.contains(want), "missing " + want + " in\n" + String.join("\n", msgs));
    }
    assertFalse(msgs.stream().anyMatch(m -> m.contains("Determining IP address of default interface")), msgs.toString());
  }
}
