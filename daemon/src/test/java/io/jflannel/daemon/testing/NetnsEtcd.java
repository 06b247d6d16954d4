package io.jflannel.daemon.testing;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real etcd running inside a test namespace on the namespace's own loopback
 * ({@code http://127.0.0.1:2379}), so a daemon started in the same namespace can use it and
 * nothing listens on the machine's loopback. Stopped by its PID.
 */
public final class NetnsEtcd implements AutoCloseable {
  public static final String ENDPOINT = "http://127.0.0.1:2379";

  private final String ns;
  private final Path dir;
  private Process process;

  private NetnsEtcd(String ns, Path dir) {
    this.ns = ns;
    this.dir = dir;
  }

  /** Starts etcd in {@code ns} (whose {@code lo} must be up) and waits until it answers. */
  public static NetnsEtcd start(String ns) throws Exception {
    NetnsEtcd etcd = new NetnsEtcd(ns, Files.createTempDirectory("jfl-bad-etcd"));
    try {
      etcd.launch();
    } catch (Exception e) {
      etcd.close();
      throw e;
    }
    return etcd;
  }

  private void launch() throws Exception {
    String peer = "http://127.0.0.1:2380";
    // `ip netns exec` execs etcd in place, so this PID is etcd's own.
    ProcessBuilder pb = new ProcessBuilder("ip", "netns", "exec", ns, "etcd", "--name", "default",
        "--data-dir", dir.resolve("data").toString(),
        "--listen-client-urls", ENDPOINT, "--advertise-client-urls", ENDPOINT,
        "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
        "--initial-cluster", "default=" + peer)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("etcd.log").toFile()));
    process = pb.start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IOException("etcd exited: " + Files.readString(dir.resolve("etcd.log")));
      }
      if (tryCtl("endpoint", "health").exit == 0) {
        return;
      }
      Thread.sleep(200);
    }
    throw new IOException("etcd in " + ns + " did not become healthy within 20 s");
  }

  /** Stops etcd by its PID and starts it again on the same data: every client's watch breaks. */
  public void restart() throws Exception {
    stopProcess();
    launch();
  }

  /** Stops etcd by its PID, keeping its data, until {@link #resume()}. */
  public void pause() throws Exception {
    stopProcess();
  }

  /** Starts etcd again on the data {@link #pause()} kept. */
  public void resume() throws Exception {
    launch();
  }

  record Ctl(int exit, String out) {}

  private Ctl tryCtl(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns, "etcdctl", "--endpoints", ENDPOINT));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("ETCDCTL_API", "3");
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return new Ctl(-1, out);
    }
    return new Ctl(p.exitValue(), out);
  }

  /** {@code etcdctl put key value} (values go as one argument, never through a shell). */
  public void put(String key, String value) throws Exception {
    Ctl c = tryCtl("put", key, value);
    if (c.exit != 0) {
      throw new IOException("etcdctl put " + key + " failed: " + c.out);
    }
  }

  /** {@code etcdctl put key} with the value read from {@code valueFile} (values above 128 KiB). */
  public void putFromFile(String key, Path valueFile) throws Exception {
    List<String> cmd = List.of("ip", "netns", "exec", ns, "etcdctl", "--endpoints", ENDPOINT, "put", key);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectInput(valueFile.toFile());
    pb.environment().put("ETCDCTL_API", "3");
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IOException("etcdctl put " + key + " failed: " + out);
    }
  }

  /** {@code etcdctl del --prefix key}. */
  public void deletePrefix(String key) throws Exception {
    Ctl c = tryCtl("del", "--prefix", key);
    if (c.exit != 0) {
      throw new IOException("etcdctl del " + key + " failed: " + c.out);
    }
  }

  /** {@code etcdctl get --prefix key}. */
  public String getPrefix(String key) throws Exception {
    Ctl c = tryCtl("get", "--prefix", key);
    if (c.exit != 0) {
      throw new IOException("etcdctl get " + key + " failed: " + c.out);
    }
    return c.out;
  }

  private void stopProcess() throws InterruptedException {
    if (process == null) {
      return;
    }
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor();
    }
    process = null;
  }

  @Override
  public void close() throws Exception {
    stopProcess();
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
    }
  }
}
