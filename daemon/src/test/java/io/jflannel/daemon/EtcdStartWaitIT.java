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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * etcd-mode start-up waits as upstream's flanneld does ("start flanneld, then write the
 * config"): for etcd itself, for the config key, and for a config that checks. While it waits,
 * a line names the endpoint and what is missing, {@code /healthz} answers, {@code /readyz} does
 * not, and SIGTERM ends it with status 0. Each test has its own namespace, so etcd can be
 * absent at first and started later on the same endpoint.
 */
class EtcdStartWaitIT {
  static final String WAITING = "Couldn't fetch network config: ";
  static final String GOOD = "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}";
  static final String HEALTH = "http://127.0.0.1:8471";

  @TempDir Path dir;
  TestNetns ns;
  NetnsEtcd etcd;
  Process daemon;

  @BeforeEach
  void namespace() {
    ns = TestNetns.createWithPrefix("jfl-wait-", "etcd", "etcdctl", "curl");
    ns.run("ip", "link", "set", "lo", "up");
    ns.run("ip", "link", "add", "eth0", "type", "veth", "peer", "name", "eth0-peer");
    ns.run("ip", "addr", "add", "192.0.2.10/24", "dev", "eth0");
    ns.run("ip", "link", "set", "eth0", "up");
    ns.run("ip", "link", "set", "eth0-peer", "up");
  }

  @AfterEach
  void cleanup() throws Exception {
    try {
      if (daemon != null && daemon.isAlive()) {
        daemon.destroyForcibly();
        daemon.waitFor(30, TimeUnit.SECONDS);
      }
      if (etcd != null) {
        etcd.close();
      }
    } finally {
      ns.close();
    }
  }

  Path subnetFile() {
    return dir.resolve("subnet.env");
  }

  Process start(String endpoint, String prefix) throws IOException {
    List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns.name(), FatalStartIT.LAUNCHER.toString(),
        "--etcd-endpoints", endpoint, "--etcd-prefix", prefix, "--iface", "eth0",
        "--subnet-file", subnetFile().toString(), "--healthz-ip", "127.0.0.1", "--healthz-port", "8471"));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(dir.resolve("daemon.log").toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("FLANNELD_"));
    daemon = pb.start();
    return daemon;
  }

  String log() throws IOException {
    return Files.readString(dir.resolve("daemon.log"), StandardCharsets.UTF_8);
  }

  /** The waiting lines logged so far. */
  List<String> waitingLines() throws IOException {
    return log().lines().filter(l -> l.contains(WAITING)).toList();
  }

  interface Check {
    boolean ok() throws Exception;
  }

  /** Polls {@code done} for up to 90 s; fails when the daemon exits meanwhile. */
  void await(String what, Check done) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (System.nanoTime() < deadline) {
      if (done.ok()) {
        return;
      }
      if (!daemon.isAlive()) {
        throw new AssertionError("daemon exited " + daemon.exitValue() + " while waiting for " + what + ":\n" + log());
      }
      Thread.sleep(250);
    }
    throw new AssertionError("timed out waiting for " + what + ":\n" + log());
  }

  /** Waits for a waiting line holding every fragment; returns it. */
  String awaitWaitingLine(String... fragments) throws Exception {
    String[] found = new String[1];
    await("a waiting line with " + List.of(fragments), () -> {
      for (String l : waitingLines()) {
        if (List.of(fragments).stream().allMatch(l::contains)) {
          found[0] = l;
          return true;
        }
      }
      return false;
    });
    return found[0];
  }

  /** The HTTP status of {@code path} on the health server, -1 when it does not answer. */
  int status(String path) throws Exception {
    Process p = new ProcessBuilder("ip", "netns", "exec", ns.name(), "curl", "-s", "-o", "/dev/null",
        "--max-time", "5", "-w", "%{http_code}", HEALTH + path).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      return -1;
    }
    return Integer.parseInt(out);
  }

  void awaitLeaseAndSubnetFile() throws Exception {
    await("start-up complete", () -> log().contains("] Running backend."));
    String env = Files.readString(subnetFile());
    assertTrue(env.contains("FLANNEL_NETWORK=10.244.0.0/16"), env);
    assertTrue(env.contains("FLANNEL_SUBNET=10.244."), env);
    assertEquals(200, status("/readyz"), log());
    assertFalse(log().lines().anyMatch(l -> l.startsWith("flanneld: ")), log());
  }

  /** SIGTERM by PID (ip netns exec and the launcher exec in place: it is the JVM's). */
  int stop() throws InterruptedException {
    daemon.destroy();
    if (!daemon.waitFor(60, TimeUnit.SECONDS)) {
      daemon.destroyForcibly();
      daemon.waitFor();
      return -1;
    }
    return daemon.exitValue();
  }

  @Test
  void etcdDownAtStartIsWaitedForAndTheLeaseFollowsWhenItComes() throws Exception {
    start(NetnsEtcd.ENDPOINT, "/jfl-wait");
    String line = awaitWaitingLine(NetnsEtcd.ENDPOINT, "/jfl-wait/config");
    assertTrue(line.contains("etcd"), line);
    await("/healthz answering", () -> status("/healthz") == 200);
    assertEquals(503, status("/readyz"), log());
    assertFalse(Files.exists(subnetFile()));

    etcd = NetnsEtcd.start(ns.name());
    etcd.put("/jfl-wait/config", GOOD);
    awaitLeaseAndSubnetFile();
    assertTrue(etcd.getPrefix("/jfl-wait/subnets/").contains("/jfl-wait/subnets/10.244."), etcd.getPrefix("/jfl-wait/"));
    assertEquals(0, stop(), log());
  }

  @Test
  void aMissingConfigKeyIsWaitedForAndWritingItLetsTheDaemonProceed() throws Exception {
    etcd = NetnsEtcd.start(ns.name());
    start(NetnsEtcd.ENDPOINT, "/jfl-later");
    awaitWaitingLine("/jfl-later/config", "not found", NetnsEtcd.ENDPOINT);
    assertEquals(503, status("/readyz"), log());

    etcd.put("/jfl-later/config", GOOD);
    awaitLeaseAndSubnetFile();
    assertTrue(log().contains("network config found after"), log());
    assertEquals(0, stop(), log());
  }

  @Test
  void anInvalidConfigIsWaitedOnWithTheReasonAndFixingItLetsTheDaemonProceed() throws Exception {
    etcd = NetnsEtcd.start(ns.name());
    etcd.put("/jfl-fix/config", "{\"Network\":\"10.244.0.0/16\",\"SubnetLen\":31}");
    start(NetnsEtcd.ENDPOINT, "/jfl-fix");
    awaitWaitingLine("/jfl-fix/config", NetnsEtcd.ENDPOINT, "SubnetLen", "at most 30", "31");
    // still waiting a while later: more than one line, never a fatal one
    await("a second waiting line", () -> waitingLines().size() >= 2);
    assertFalse(Files.exists(subnetFile()));

    etcd.put("/jfl-fix/config", GOOD);
    awaitLeaseAndSubnetFile();
    assertEquals(0, stop(), log());
  }

  @Test
  void sigtermWhileWaitingForAnUnreachableEtcdExitsZero() throws Exception {
    // nothing listens on this port in the fresh namespace
    start("http://127.0.0.1:2", "/jfl-term");
    awaitWaitingLine("http://127.0.0.1:2", "/jfl-term/config");
    assertEquals(0, stop(), log());
    assertFalse(log().lines().anyMatch(l -> l.startsWith("flanneld: ")), log());
    assertFalse(log().contains("\tat "), log());
  }
}
