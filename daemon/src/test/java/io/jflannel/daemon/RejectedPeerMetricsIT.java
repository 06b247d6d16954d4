package io.jflannel.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
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
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged daemon against a real etcd inside a namespace: a peer the backend refuses and
 * a key that does not parse show up in {@code /metrics} as {@code flannel_rejected_peers_total},
 * the good peer is programmed, the series dashboards read are exported before anything happened, the health server answers only on {@code --healthz-ip}, and
 * {@code --healthz-port 0} opens no port at all.
 */
class RejectedPeerMetricsIT {
  static final String PREFIX = "/jfl-obs";
  static final int PORT = 18081;

  static TestNetns ns;
  static NetnsEtcd etcd;
  @TempDir static Path dir;

  @BeforeAll
  static void namespace() throws Exception {
    ns = TestNetns.createWithPrefix("jfl-bad-", "etcd", "etcdctl", "curl", "ss");
    ns.run("ip", "link", "set", "lo", "up");
    ns.run("ip", "link", "add", "eth0", "type", "veth", "peer", "name", "eth0-peer");
    ns.run("ip", "addr", "add", "192.0.2.10/24", "dev", "eth0");
    ns.run("ip", "link", "set", "eth0", "up");
    ns.run("ip", "link", "set", "eth0-peer", "up");
    etcd = NetnsEtcd.start(ns.name());
    etcd.put(PREFIX + "/config", "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}");
    etcd.put(PREFIX + "/subnets/10.244.7.0-24", "{\"PublicIP\":\"192.0.2.7\",\"PublicIPv6\":null,"
        + "\"BackendType\":\"vxlan\",\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"2a:00:00:00:00:07\"}}");
    // refused by the backend: outside Network
    etcd.put(PREFIX + "/subnets/10.99.0.0-24", "{\"PublicIP\":\"192.0.2.9\",\"PublicIPv6\":null,"
        + "\"BackendType\":\"vxlan\",\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"2a:00:00:00:00:09\"}}");
    // skipped by the store: not JSON
    etcd.put(PREFIX + "/subnets/10.244.8.0-24", "not json");
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

  record Cmd(int exit, String out) {}

  static Cmd inNs(String... argv) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns.name()));
    cmd.addAll(List.of(argv));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return new Cmd(-1, out);
    }
    return new Cmd(p.exitValue(), out);
  }

  static Cmd curl(String url) throws Exception {
    return inNs("curl", "-sS", "--max-time", "3", url);
  }

  static Process daemon(String name, String... more) throws IOException {
    List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns.name(), FatalStartIT.LAUNCHER.toString(),
        "--etcd-endpoints", NetnsEtcd.ENDPOINT, "--etcd-prefix", PREFIX, "--iface", "eth0",
        "--subnet-file", dir.resolve(name + ".env").toString()));
    cmd.addAll(List.of(more));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(dir.resolve(name + ".log").toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("FLANNELD_"));
    return pb.start();
  }

  static String log(String name) throws IOException {
    return Files.readString(dir.resolve(name + ".log"), StandardCharsets.UTF_8);
  }

  static void await(String what, Process p, String name, Predicate<Void> done) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      if (done.test(null)) {
        return;
      }
      if (!p.isAlive()) {
        throw new AssertionError("daemon exited " + p.exitValue() + " while waiting for " + what + ":\n" + log(name));
      }
      Thread.sleep(250);
    }
    throw new AssertionError("timed out waiting for " + what + ":\n" + log(name));
  }

  /**
   * SIGTERM by PID (`ip netns exec` and the launcher exec in place, so it is the JVM's);
   * returns the exit status, -1 when it had to be killed.
   */
  static int stop(Process p) throws InterruptedException {
    p.destroy();
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      p.waitFor();
      return -1;
    }
    return p.exitValue();
  }

  static Predicate<Void> quietly(Check c) {
    return v -> {
      try {
        return c.ok();
      } catch (Exception e) {
        return false;
      }
    };
  }

  interface Check {
    boolean ok() throws Exception;
  }

  @Test
  void rejectedPeersAreInMetricsAndTheHealthServerBindsOnlyWhereTold() throws Exception {
    Process p = daemon("metrics", "--healthz-ip", "127.0.0.1", "--healthz-port", String.valueOf(PORT));
    try {
      String base = "http://127.0.0.1:" + PORT;
      await("/readyz 200", p, "metrics", quietly(() -> curl(base + "/readyz").out().contains("flanneld is ready")));
      await("rejected peer metric", p, "metrics", quietly(() -> curl(base + "/metrics").out()
          .contains("flannel_rejected_peers_total{reason=\"subnet_outside_network\"} 1.0")));
      // the rejection is counted during the pass, the programmed peers at its end
      await("programmed peer metric", p, "metrics", quietly(() -> curl(base + "/metrics").out()
          .contains("flannel_peers{backend=\"vxlan\",family=\"ipv4\"} 1.0")));
      String metrics = curl(base + "/metrics").out();
      assertTrue(metrics.contains("flannel_rejected_peers_total{reason=\"malformed\"} 1.0"), metrics);
      // what the dashboard and the alerts read is there before anything happened to it
      for (String series : List.of("flannel_ready 1.0", "flannel_lease_renewals_total{result=\"failure\"} 0.0",
          "flannel_netlink_errors_total{errno=\"EEXIST\"} 0.0", "flannel_repairs_total{kind=\"route\"} 0.0",
          "flannel_programming_latency_seconds_count{backend=\"vxlan\"}")) {
        assertTrue(metrics.contains(series), series + " missing:\n" + metrics);
      }

      // the good peer is programmed, the refused one is not
      String routes = inNs("ip", "route", "show", "dev", "flannel.1").out();
      assertTrue(routes.contains("10.244.7.0/24 via 10.244.7.0 onlink"), routes);
      assertFalse(routes.contains("10.99.0.0"), routes);
      String log = log("metrics");
      assertTrue(log.contains("rejecting peer 10.99.0.0-24") && log.contains("subnet_outside_network"), log);
      assertTrue(log.contains("skipping etcd key \"" + PREFIX + "/subnets/10.244.8.0-24\""), log);
      // The peer sync reports its passes to the heap compaction (decision 0910): the first one
      // is followed by a collection.
      await("compaction after the first peer pass", p, "metrics",
          quietly(() -> log("metrics").contains("heap compacted after the first peer pass")));

      // bound to 127.0.0.1 only: the namespace's other address gets no answer
      Cmd other = curl("http://192.0.2.10:" + PORT + "/healthz");
      assertNotEquals(0, other.exit(), "health server answered on 192.0.2.10: " + other.out());
      assertEquals("flanneld is running", curl(base + "/healthz").out().strip());
      String listening = inNs("ss", "-Hltn").out();
      // Java's dual-stack socket shows an IPv4 bind as [::ffff:127.0.0.1]
      assertTrue(listening.contains("127.0.0.1:" + PORT) || listening.contains("127.0.0.1]:" + PORT), listening);
      assertFalse(listening.contains("0.0.0.0:" + PORT) || listening.contains("*:" + PORT)
          || listening.contains("[::]:" + PORT) || listening.contains("192.0.2.10:" + PORT), listening);
      assertEquals(0, stop(p), "exit status after SIGTERM:\n" + log("metrics"));
    } finally {
      if (p.isAlive()) {
        stop(p);
      }
    }
  }

  @Test
  void healthzPortZeroOpensNoPort() throws Exception {
    Process p = daemon("noport", "--healthz-port", "0");
    try {
      Path env = dir.resolve("noport.env");
      await("subnet.env", p, "noport", quietly(() -> Files.exists(env)
          && log("noport").contains("] Running backend.")));
      String listening = inNs("ss", "-Hltnp").out();
      // Only etcd listens in this namespace.
      for (String line : listening.lines().toList()) {
        assertTrue(line.contains("\"etcd\""), "unexpected listener: " + line + "\n" + listening);
      }
      assertFalse(log("noport").contains("health server listening"), log("noport"));
      assertFalse(log("noport").contains("Start healthz server"), log("noport"));
      assertEquals(0, stop(p), "exit status after SIGTERM:\n" + log("noport"));
    } finally {
      if (p.isAlive()) {
        stop(p);
      }
    }
  }
}
