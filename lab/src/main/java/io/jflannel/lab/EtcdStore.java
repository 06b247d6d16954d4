package io.jflannel.lab;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A real etcd inside the switch namespace, listening on the underlay. */
public final class EtcdStore implements ClusterStore {
  /** The key prefix flanneld uses by default. */
  public static final String PREFIX = "/coreos.com/network";
  private final LabSpec spec;
  private final LabState state;
  private final Path dataDir;
  private final Path log;
  private TrackedProcess process;
  private Process child;

  EtcdStore(LabSpec spec, LabState state, Path workDir) {
    this.spec = spec;
    this.state = state;
    this.dataDir = workDir.resolve("etcd");
    this.log = workDir.resolve("etcd.log");
  }

  /** The client URL daemons use. */
  public static String clientUrl() {
    return "http://" + Underlay.SWITCH_IP + ":2379";
  }

  @Override
  public void start() {
    spawn();
    etcdctl("put", PREFIX + "/config", spec.netConfJson()).check();
  }

  /**
   * Stops etcd (SIGTERM, SIGKILL after 5 s) while keeping its data, as an etcd outage would;
   * {@link #restart} brings it back with the same data.
   */
  public void stop() {
    if (process != null) {
      process.stop(Duration.ofSeconds(5));
      state.removeProcess(process);
      process = null;
      child = null;
    }
  }

  /** Starts a stopped etcd again on its old data directory; returns once it answers. */
  public void restart() {
    if (child != null && child.isAlive()) {
      throw new LabException("etcd is already running");
    }
    spawn();
  }

  /** Whether the etcd process runs. */
  public boolean running() {
    return child != null && child.isAlive();
  }

  private void spawn() {
    String peer = "http://127.0.0.1:2380";
    List<String> cmd = Exec.inNetns(spec.switchNetns(), "etcd", "--name", "lab",
        "--data-dir", dataDir.toString(),
        "--listen-client-urls", clientUrl() + ",http://127.0.0.1:2379",
        "--advertise-client-urls", clientUrl(),
        "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
        "--initial-cluster", "lab=" + peer, "--log-level", "warn");
    try {
      Files.createDirectories(dataDir);
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
      child = pb.start();
    } catch (IOException e) {
      throw new LabException("cannot start etcd in " + spec.switchNetns() + ": " + e.getMessage(), e);
    }
    process = TrackedProcess.of(child.toHandle(), "etcd");
    state.addProcess(process);
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (true) {
      if (!child.isAlive()) {
        throw new LabException("etcd exited with " + child.exitValue() + "; see " + log);
      }
      if (etcdctl("endpoint", "health").ok()) {
        break;
      }
      if (System.nanoTime() > deadline) {
        throw new LabException("etcd did not become healthy within 30 s; see " + log);
      }
      sleep(200);
    }
  }

  @Override
  public List<String> daemonArgs(LabNode node) {
    return List.of("--etcd-endpoints", clientUrl());
  }

  @Override
  public Map<String, String> daemonEnv(LabNode node) {
    return Map.of();
  }

  @Override
  public void nodeJoining(LabNode node) {
    // etcd mode: the daemon allocates its own subnet; nothing to register.
  }

  @Override
  public void nodeLeaving(LabNode node, String subnet) {
    etcdctl("del", leaseKey(subnet)).check();
  }

  @Override
  public List<String> subnets() {
    List<String> out = new ArrayList<>();
    String keys = etcdctl("get", "--prefix", "--keys-only", PREFIX + "/subnets/").check().stdout();
    for (String k : keys.split("\n")) {
      if (!k.isBlank()) {
        out.add(k.substring(k.lastIndexOf('/') + 1).replace('-', '/'));
      }
    }
    return out;
  }

  /** The lease key of a subnet, e.g. {@code /coreos.com/network/subnets/10.244.3.0-24}. */
  public static String leaseKey(String subnet) {
    return PREFIX + "/subnets/" + subnet.replace('/', '-');
  }

  /** Runs etcdctl (v3 API) against this etcd, from inside the switch namespace. */
  public Exec.Result etcdctl(String... args) {
    List<String> cmd = new ArrayList<>(Exec.inNetns(spec.switchNetns(), "etcdctl",
        "--endpoints", "http://127.0.0.1:2379", "--dial-timeout", "2s"));
    cmd.addAll(List.of(args));
    return Exec.run(cmd, null, Map.of("ETCDCTL_API", "3"), Duration.ofSeconds(15));
  }

  @Override
  public String describe() {
    return "etcd " + clientUrl();
  }

  @Override
  public void close() {
    stop();
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new LabException("interrupted", e);
    }
  }
}
