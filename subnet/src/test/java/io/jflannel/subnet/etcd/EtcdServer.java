package io.jflannel.subnet.etcd;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A real etcd process for tests, on free loopback ports with a data directory in a temp dir.
 * Stopped by its PID; restartable on the same ports and data dir.
 */
final class EtcdServer implements AutoCloseable {
  private final Path dataRoot;
  private final int clientPort;
  private final int peerPort;
  private final String scheme;
  private final List<String> extraArgs;
  private Process process;

  private EtcdServer(Path dataRoot, int clientPort, int peerPort, String scheme, List<String> extraArgs) {
    this.dataRoot = dataRoot;
    this.clientPort = clientPort;
    this.peerPort = peerPort;
    this.scheme = scheme;
    this.extraArgs = List.copyOf(extraArgs);
  }

  /** Skips the calling test class when etcd is missing, or fails under {@code CI=true}. */
  static void requireEtcd() {
    boolean present = which("etcd") != null;
    String why = "the etcd binary (Debian package etcd-server) is not installed";
    if ("true".equalsIgnoreCase(System.getenv("CI"))) {
      if (!present) {
        fail(why);
      }
    } else {
      assumeTrue(present, why);
    }
  }

  static EtcdServer start() throws Exception {
    return start("http", List.of());
  }

  /**
   * An etcd whose client URL uses {@code scheme} ({@code https} needs the TLS flags in
   * {@code extraArgs}, e.g. {@code --cert-file}, {@code --key-file}, {@code --client-cert-auth}).
   */
  static EtcdServer start(String scheme, List<String> extraArgs) throws Exception {
    Path dir = Files.createTempDirectory("jfl-sn-etcd");
    EtcdServer s = new EtcdServer(dir, freePort(), freePort(), scheme, extraArgs);
    s.launch();
    return s;
  }

  String endpoint() {
    return scheme + "://127.0.0.1:" + clientPort;
  }

  /** The data directory's parent, for files a test wants removed with the server. */
  Path dir() {
    return dataRoot;
  }

  void launch() throws Exception {
    if (process != null && process.isAlive()) {
      throw new IllegalStateException("etcd already running");
    }
    String peer = "http://127.0.0.1:" + peerPort;
    List<String> cmd = new java.util.ArrayList<>(List.of(which("etcd").toString(),
        "--name", "default",
        "--data-dir", dataRoot.resolve("data").toString(),
        "--listen-client-urls", endpoint(), "--advertise-client-urls", endpoint(),
        "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
        "--initial-cluster", "default=" + peer));
    cmd.addAll(extraArgs);
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.redirectErrorStream(true);
    pb.redirectOutput(ProcessBuilder.Redirect.appendTo(dataRoot.resolve("etcd.log").toFile()));
    process = pb.start();
    long deadline = System.nanoTime() + 15_000_000_000L;
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IOException("etcd exited with " + process.exitValue() + "; log: "
            + Files.readString(dataRoot.resolve("etcd.log")));
      }
      try (Socket so = new Socket()) {
        so.connect(new InetSocketAddress("127.0.0.1", clientPort), 200);
        Thread.sleep(200); // the port opens just before the member is ready to serve
        return;
      } catch (IOException e) {
        Thread.sleep(50);
      }
    }
    throw new IOException("etcd did not open port " + clientPort + " within 15 s");
  }

  /** Stops the process (SIGTERM to its PID, SIGKILL after 5 s), keeping the data dir. */
  void stop() throws InterruptedException {
    if (process == null) {
      return;
    }
    process.destroy();
    if (!process.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor();
    }
    process = null;
  }

  @Override
  public void close() throws Exception {
    stop();
    try (Stream<Path> walk = Files.walk(dataRoot)) {
      walk.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** Runs etcdctl against this server with {@code args}; returns its output, failing on non-zero exit. */
  String etcdctl(List<String> global, String... args) throws Exception {
    List<String> cmd = new java.util.ArrayList<>(List.of(which("etcdctl").toString(), "--endpoints", endpoint()));
    cmd.addAll(global);
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("ETCDCTL_API", "3");
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    if (!p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException("etcdctl " + String.join(" ", args) + " failed: " + out);
    }
    return out;
  }

  private static Path which(String cmd) {
    for (String d : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
      Path p = Path.of(d, cmd);
      if (Files.isExecutable(p)) {
        return p;
      }
    }
    return null;
  }
}
