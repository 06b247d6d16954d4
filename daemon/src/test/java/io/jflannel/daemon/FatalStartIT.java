package io.jflannel.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jflannel.daemon.testing.TestNetns;
import java.io.IOException;
import java.net.ServerSocket;
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
 * Every fatal start-up path of the packaged {@code flanneld}: exit status 1 and exactly one
 * line {@code flanneld: <what failed>} on stderr. Each run happens inside a fresh network
 * namespace so nothing can touch the machine's own network.
 */
class FatalStartIT {
  static final Path LAUNCHER = Path.of(System.getProperty("flanneld.launcher", "target/flanneld"))
      .toAbsolutePath();

  @TempDir Path dir;
  TestNetns ns;

  @BeforeEach
  void namespace() {
    ns = TestNetns.create();
    ns.run("ip", "link", "set", "lo", "up");
  }

  @AfterEach
  void cleanup() {
    if (ns != null) {
      ns.close();
    }
  }

  record Result(int status, String stderr) {
    /** The single {@code flanneld:} line; fails when there is not exactly one. */
    String fatalLine() {
      List<String> lines = stderr.lines().filter(l -> l.startsWith("flanneld: ")).toList();
      assertEquals(1, lines.size(), "expected one fatal line in:\n" + stderr);
      return lines.get(0);
    }
  }

  Result run(String... args) throws IOException, InterruptedException {
    return runWith(LAUNCHER, args);
  }

  Result runWith(Path launcher, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns.name(), launcher.toString()));
    cmd.addAll(List.of(args));
    Path err = dir.resolve("err");
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .redirectError(err.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("FLANNELD_"));
    pb.environment().put("NODE_NAME", "node-a");
    Process p = pb.start();
    if (!p.waitFor(90, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("flanneld did not exit: " + String.join(" ", cmd));
    }
    return new Result(p.exitValue(), Files.readString(err, StandardCharsets.UTF_8));
  }

  Path netConf(String json) throws IOException {
    Path f = dir.resolve("net-conf.json");
    Files.writeString(f, json);
    return f;
  }

  String[] kube(Path conf, String... more) {
    List<String> a = new ArrayList<>(List.of("--kube-subnet-mgr", "--kube-api-url",
        "http://127.0.0.1:" + freePort(), "--net-config-path", conf.toString(),
        "--subnet-file", dir.resolve("subnet.env").toString()));
    a.addAll(List.of(more));
    return a.toArray(String[]::new);
  }

  static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void aClassMissingFromTheInstallIsOneLineAndAnExit() throws Exception {
    // A broken install: the packaged launcher and jars, without fabric8's client API. Kube
    // mode then fails with a NoClassDefFoundError while other threads already run.
    Path broken = dir.resolve("broken");
    Files.createDirectories(broken.resolve("lib"));
    Files.copy(LAUNCHER, broken.resolve("flanneld"));
    Path packaged = LAUNCHER.getParent();
    Files.createSymbolicLink(broken.resolve("jflannel-daemon.jar"), packaged.resolve("jflannel-daemon.jar"));
    int linked = 0;
    Path lib = packaged.resolve("lib"); // lib/ and its store directories lib/etcd/, lib/kube/
    try (var jars = Files.walk(lib)) {
      for (Path jar : jars.filter(Files::isRegularFile).toList()) {
        if (!jar.getFileName().toString().startsWith("kubernetes-client-api-")) {
          Path link = broken.resolve("lib").resolve(lib.relativize(jar));
          Files.createDirectories(link.getParent());
          Files.createSymbolicLink(link, jar);
          linked++;
        }
      }
    }
    assertTrue(linked > 50, "only " + linked + " jars next to " + LAUNCHER);
    Result r = runWith(broken.resolve("flanneld"), kube(netConf("{\"Network\": \"10.244.0.0/16\"}")));
    assertEquals(1, r.status(), r.stderr());
    String line = r.fatalLine();
    assertTrue(line.startsWith("flanneld: unexpected error: java.lang.NoClassDefFoundError"), line);
    assertTrue(line.contains("io/fabric8/kubernetes/client"), line);
  }

  @Test
  void missingNetConf() throws Exception {
    Result r = run(kube(dir.resolve("absent.json")));
    assertEquals(1, r.status(), r.stderr());
    assertTrue(r.fatalLine().contains("cannot read network config " + dir.resolve("absent.json")),
        r.stderr());
  }

  @Test
  void malformedNetConf() throws Exception {
    Result r = run(kube(netConf("{\"Network\": \"10.244.0.0/16\",")));
    assertEquals(1, r.status(), r.stderr());
    assertTrue(r.fatalLine().contains("network config " + dir.resolve("net-conf.json")), r.stderr());
  }

  @Test
  void invalidNetworkNamesTheField() throws Exception {
    Result r = run(kube(netConf("{\"Network\": \"10.244.0.0/33\", \"Backend\": {\"Type\": \"vxlan\"}}")));
    assertEquals(1, r.status(), r.stderr());
    String line = r.fatalLine();
    assertTrue(line.contains("Network") && line.contains("10.244.0.0/33"), line);
  }

  @Test
  void noMatchingInterfaceListsWhatWasTried() throws Exception {
    Result r = run(kube(netConf("{\"Network\": \"10.244.0.0/16\"}"),
        "--public-ip", "192.0.2.10", "--iface", "eth-nope", "--iface-regex", "^zz"));
    assertEquals(1, r.status(), r.stderr());
    String line = r.fatalLine();
    assertTrue(line.contains("--iface=eth-nope (no such interface)"), line);
    assertTrue(line.contains("--iface-regex=^zz"), line);
  }

  @Test
  void publicIpOwnedByNoInterfaceIsNamedAsUpstream() throws Exception {
    ns.run("ip", "link", "add", "eth0", "type", "veth", "peer", "name", "eth0-peer");
    ns.run("ip", "addr", "add", "192.0.2.10/24", "dev", "eth0");
    ns.run("ip", "link", "set", "eth0", "up");
    ns.run("ip", "route", "add", "default", "via", "192.0.2.1", "dev", "eth0");
    // without an --iface flag the interface is the one owning --public-ip: none here
    Result r = run(kube(netConf("{\"Network\": \"10.244.0.0/16\"}"), "--public-ip", "203.0.113.9"));
    assertEquals(1, r.status(), r.stderr());
    String line = r.fatalLine();
    assertTrue(line.contains("203.0.113.9") && line.contains("--public-ip"), line);
  }

  @Test
  void unreachableApiServer() throws Exception {
    Result r = run(kube(netConf("{\"Network\": \"10.244.0.0/16\"}")));
    assertEquals(1, r.status(), r.stderr());
    assertTrue(r.fatalLine().contains("127.0.0.1"), r.stderr());
  }

  /**
   * Waiting cannot fix unreadable TLS files: fatal at once, as upstream's etcd client creation,
   * while an unreachable etcd or a missing config key is waited for (EtcdStartWaitIT).
   */
  @Test
  void unreadableEtcdTlsFilesAreFatal() throws Exception {
    Path key = dir.resolve("absent-key.pem");
    Result r = run("--etcd-endpoints", "https://127.0.0.1:" + freePort(), "--etcd-keyfile", key.toString(),
        "--etcd-certfile", dir.resolve("absent-cert.pem").toString(), "--subnet-file", dir.resolve("subnet.env").toString());
    assertEquals(1, r.status(), r.stderr());
    String line = r.fatalLine();
    assertTrue(line.contains("TLS") && line.contains(key.toString()), line);
  }

  @Test
  void unknownBackendType() throws Exception {
    ns.run("ip", "link", "add", "eth0", "type", "veth", "peer", "name", "eth0-peer");
    ns.run("ip", "addr", "add", "192.0.2.10/24", "dev", "eth0");
    ns.run("ip", "link", "set", "eth0", "up");
    Result r = run(kube(netConf("{\"Network\": \"10.244.0.0/16\", \"Backend\": {\"Type\": \"carrier-pigeon\"}}"),
        "--public-ip", "192.0.2.10", "--iface", "eth0"));
    assertEquals(1, r.status(), r.stderr());
    String line = r.fatalLine();
    assertTrue(line.contains("carrier-pigeon") && line.contains("vxlan") && line.contains("host-gw"), line);
  }
}
