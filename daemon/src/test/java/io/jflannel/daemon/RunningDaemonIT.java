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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged daemon running against a real etcd inside a namespace (issue 18): a second
 * flanneld on the node stops at once naming the first; SIGUSR1 and SIGUSR2 do not end it; a
 * re-list past gRPC's default message limit works; a re-list that keeps failing shows in
 * {@code /readyz}, {@code /metrics} and an ERROR line until one succeeds.
 */
class RunningDaemonIT {
  static TestNetns ns;
  static NetnsEtcd etcd;
  @TempDir static Path dir;

  @BeforeAll
  static void namespace() throws Exception {
    ns = TestNetns.createWithPrefix("jfl-run-", "etcd", "etcdctl", "curl", "kill");
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

  static void config(String prefix) throws Exception {
    etcd.put(prefix + "/config", "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}");
  }

  /** A daemon in the namespace, stdout and stderr to {@code <name>.log}. */
  static Process daemon(String name, String prefix, Path subnetFile, String... more) throws IOException {
    List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns.name(), FatalStartIT.LAUNCHER.toString(),
        "--etcd-endpoints", NetnsEtcd.ENDPOINT, "--etcd-prefix", prefix, "--iface", "eth0",
        "--subnet-file", subnetFile.toString()));
    cmd.addAll(List.of(more));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(dir.resolve(name + ".log").toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("FLANNELD_"));
    return pb.start();
  }

  static String log(String name) throws IOException {
    return Files.readString(dir.resolve(name + ".log"), StandardCharsets.UTF_8);
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

  /** The body, a newline and the HTTP status. */
  static Cmd curl(String url) throws Exception {
    return inNs("curl", "-sS", "--max-time", "3", "-w", "\n%{http_code}", url);
  }

  interface Check {
    boolean ok() throws Exception;
  }

  static void await(String what, Process p, String name, Check done) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (System.nanoTime() < deadline) {
      try {
        if (done.ok()) {
          return;
        }
      } catch (Exception e) {
        // not yet
      }
      if (!p.isAlive()) {
        throw new AssertionError("daemon exited " + p.exitValue() + " while waiting for " + what + ":\n" + log(name));
      }
      Thread.sleep(250);
    }
    throw new AssertionError("timed out waiting for " + what + ":\n" + log(name));
  }

  static void awaitReady(Process p, String name) throws Exception {
    await("ready", p, name, () -> log(name).contains("] Running backend."));
  }

  /** SIGTERM by PID (`ip netns exec` and the launcher exec in place: it is the JVM's); -1 when killed. */
  static int stop(Process p) throws InterruptedException {
    p.destroy();
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      p.waitFor();
      return -1;
    }
    return p.exitValue();
  }

  static int keyCount(String listing, String under) {
    return (int) listing.lines().filter(l -> l.startsWith(under)).count();
  }

  /** Item 8: the lock next to subnet.env, taken before the store or the kernel is touched. */
  @Test
  void aSecondFlanneldOnTheNodeRefusesToStartNamingTheFirst() throws Exception {
    String prefix = "/jfl-lock";
    config(prefix);
    Path run = Files.createDirectories(dir.resolve("lock-run"));
    Process first = daemon("lock-first", prefix, run.resolve("subnet.env"));
    try {
      awaitReady(first, "lock-first");
      String before = etcd.getPrefix(prefix + "/subnets/");

      Process second = daemon("lock-second", prefix, run.resolve("subnet.env"), "--public-ip", "192.0.2.10");
      assertTrue(second.waitFor(90, TimeUnit.SECONDS), "the second daemon did not exit");
      String out = log("lock-second");
      assertEquals(1, second.exitValue(), out);
      List<String> fatal = out.lines().filter(l -> l.startsWith("flanneld: ")).toList();
      assertEquals(List.of("flanneld: another flanneld (pid " + first.pid() + ") is running on this node (lock "
          + run.resolve("flanneld.lock") + ")"), fatal, "exactly one line, naming the holder");
      // Besides it, only upstream's first info line (the signal handlers come before the lock).
      assertEquals(List.of("Installing signal handlers"), out.lines().filter(l -> !l.isBlank() && !fatal.contains(l))
          .map(l -> l.replaceFirst("^I\\d{4} \\d{2}:\\d{2}:\\d{2}\\.\\d{6} +\\d+ Flanneld\\.java:\\d+\\] ", ""))
          .toList(), out);
      // It touched nothing: no second lease, the first daemon's state as it was.
      assertEquals(before, etcd.getPrefix(prefix + "/subnets/"));
      assertEquals(1, keyCount(before, prefix + "/subnets/"), before);
      assertTrue(first.isAlive());
      assertEquals(first.pid() + "\n", Files.readString(run.resolve("flanneld.lock")));

      assertEquals(0, stop(first), log("lock-first"));
      // The kernel dropped the lock with the process: the next daemon starts.
      Process next = daemon("lock-next", prefix, run.resolve("subnet.env"));
      try {
        awaitReady(next, "lock-next");
        assertEquals(next.pid() + "\n", Files.readString(run.resolve("flanneld.lock")));
        assertEquals(0, stop(next), log("lock-next"));
      } finally {
        if (next.isAlive()) {
          stop(next);
        }
      }
    } finally {
      if (first.isAlive()) {
        stop(first);
      }
    }
  }

  /** Item 10: upstream ignores SIGUSR1 and SIGUSR2 (the JVM would exit 138, or crash on USR2). */
  @Test
  void sigusr1AndSigusr2AreIgnored() throws Exception {
    String prefix = "/jfl-signals";
    config(prefix);
    Process p = daemon("signals", prefix, dir.resolve("signals/subnet.env"), "--healthz-ip", "127.0.0.1",
        "--healthz-port", "18091");
    try {
      awaitReady(p, "signals");
      for (String sig : List.of("-USR1", "-USR2", "-USR1", "-USR2")) {
        Process kill = new ProcessBuilder("kill", sig, Long.toString(p.pid())).inheritIO().start();
        assertEquals(0, kill.waitFor(), "kill " + sig);
      }
      // The health server answers after the signals were delivered; a process they ended
      // would have gone by then (they are handled synchronously by the kernel).
      Thread.sleep(500);
      assertTrue(p.isAlive(), "ended by a signal:\n" + log("signals"));
      assertTrue(curl("http://127.0.0.1:18091/healthz").out().startsWith("flanneld is running"));
      assertEquals(0, stop(p), log("signals"));
    } finally {
      if (p.isAlive()) {
        stop(p);
      }
    }
  }

  /**
   * Item 7, with issue 21: a subnets prefix past gRPC's default 4 MiB message limit is listed
   * again (in pages) when the daemon has to re-list (here: etcd restarted), and a peer written
   * afterwards arrives. A re-list that cannot succeed (etcd down) shows in /readyz (503 with the
   * reason), /metrics and an ERROR line, until a listing works again.
   */
  @Test
  void aRelistPastTheMessageLimitWorksAndAFailingOneShowsInReadyzMetricsAndAnErrorLine() throws Exception {
    String prefix = "/jfl-relist";
    config(prefix);
    Process p = daemon("relist", prefix, dir.resolve("relist/subnet.env"), "--healthz-ip", "127.0.0.1",
        "--healthz-port", "18092");
    String base = "http://127.0.0.1:18092";
    try {
      await("/readyz 200", p, "relist", () -> curl(base + "/readyz").out().endsWith("\n200"));
      String metrics = curl(base + "/metrics").out();
      assertTrue(metrics.contains("flannel_store_synced 1.0"), metrics);
      assertTrue(metrics.contains("flannel_store_list_failures_total 0.0"), metrics);

      Path big = dir.resolve("big.value");
      Files.writeString(big, "x".repeat(1_200_000)); // under etcd's 1.5 MiB request limit; five: 6 MB
      for (int i = 0; i < 5; i++) {
        etcd.putFromFile(prefix + "/subnets/big-" + i, big);
      }
      etcd.restart(); // the watch breaks; the daemon lists 6 MB again
      etcd.put(prefix + "/subnets/10.244.77.0-24", "{\"PublicIP\":\"192.0.2.77\",\"PublicIPv6\":null,"
          + "\"BackendType\":\"vxlan\",\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"02:00:00:00:00:4d\"}}");
      await("the route to the peer written after the restart", p, "relist",
          () -> inNs("ip", "route", "show", "10.244.77.0/24").out().contains("dev flannel.1"));
      await("/readyz 200 after the re-list", p, "relist", () -> curl(base + "/readyz").out().endsWith("\n200"));
      assertFalse(log("relist").contains("RESOURCE_EXHAUSTED"), log("relist"));

      etcd.pause(); // every listing now fails
      await("/readyz 503 naming the failed listing", p, "relist", () -> {
        String r = curl(base + "/readyz").out();
        return r.endsWith("\n503") && r.contains("etcd: list " + prefix + "/subnets/");
      });
      String readyz = curl(base + "/readyz").out();
      assertTrue(readyz.startsWith("flanneld is not ready: the peer list is not current: etcd: list " + prefix
          + "/subnets/ "), readyz);
      metrics = curl(base + "/metrics").out();
      assertTrue(metrics.contains("flannel_store_synced 0.0"), metrics);
      Matcher m = Pattern.compile("flannel_store_list_failures_total (\\d+)\\.0").matcher(metrics);
      assertTrue(m.find() && Integer.parseInt(m.group(1)) >= 1, metrics);
      assertTrue(log("relist").lines().anyMatch(l -> l.startsWith("E") && l.contains("etcd: list " + prefix)
          && l.contains("not seen until one succeeds")), log("relist"));
      assertEquals("flanneld is running\n200", curl(base + "/healthz").out(), "alive: the dataplane still works");

      etcd.resume();
      await("/readyz 200 again", p, "relist", () -> curl(base + "/readyz").out().endsWith("\n200"));
      assertTrue(curl(base + "/metrics").out().contains("flannel_store_synced 1.0"));
      assertTrue(log("relist").contains("works again after"), log("relist"));
      assertEquals(0, stop(p), log("relist"));
    } finally {
      if (p.isAlive()) {
        stop(p);
      }
    }
    assertFalse(log("relist").contains("Exception"), "no stack trace:\n" + log("relist"));
  }

  /**
   * Item 9: our lease value overwritten by another writer is put back; a writer that keeps
   * overwriting it makes the daemon exit 1 with one line instead of fighting over the subnet.
   */
  @Test
  void ourLeaseOverwrittenIsRestoredAndAWriterThatKeepsAtItStopsTheDaemon() throws Exception {
    String prefix = "/jfl-own";
    config(prefix);
    Process p = daemon("own", prefix, dir.resolve("own/subnet.env"));
    try {
      awaitReady(p, "own");
      List<String> kv = etcd.getPrefix(prefix + "/subnets/").lines().filter(l -> !l.isBlank()).toList();
      assertEquals(2, kv.size(), kv.toString());
      String key = kv.get(0);
      String ours = kv.get(1);
      String foreign = "{\"PublicIP\":\"192.0.2.66\",\"PublicIPv6\":null,\"BackendType\":\"vxlan\","
          + "\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"2a:00:00:00:00:66\"}}";
      for (int i = 1; i <= 3; i++) {
        etcd.put(key, foreign);
        await("our value back (" + i + ")", p, "own", () -> etcd.getPrefix(key).contains(ours));
      }
      assertTrue(log("own").contains("(our lease) was overwritten by another writer"), log("own"));
      etcd.put(key, foreign);
      assertTrue(p.waitFor(60, TimeUnit.SECONDS), "still running:\n" + log("own"));
      assertEquals(1, p.exitValue(), log("own"));
      List<String> fatal = log("own").lines().filter(l -> l.startsWith("flanneld: ")).toList();
      assertEquals(1, fatal.size(), log("own"));
      assertTrue(fatal.get(0).startsWith("flanneld: our lease " + key + " keeps being overwritten by another writer"),
          fatal.get(0));
      assertTrue(etcd.getPrefix(key).contains(foreign), "the last write is left alone");
    } finally {
      if (p.isAlive()) {
        stop(p);
      }
    }
  }
}
