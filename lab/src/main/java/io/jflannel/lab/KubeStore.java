package io.jflannel.lab;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import inet.ipaddr.IPAddress;
import inet.ipaddr.IPAddressString;
import io.jflannel.lab.kube.KubeApiMock;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The Kubernetes-API store: {@link KubeApiMock} started as its own JVM inside the switch
 * namespace (so daemons reach it at 192.0.2.254:6443 over the underlay), driven through its
 * stdin/stdout line protocol. Node {@code nK} gets podCIDR {@code 10.244.K.0/24}.
 */
public final class KubeStore implements ClusterStore {
  /** Port of the API mock on the switch address. */
  public static final int PORT = 6443;
  private static final ObjectMapper JSON = new ObjectMapper();
  private final LabSpec spec;
  private final LabState state;
  private final Path netConf;
  private final Path log;
  private Process child;
  private TrackedProcess process;
  private BufferedReader replies;
  private PrintStream commands;

  KubeStore(LabSpec spec, LabState state, Path workDir) {
    this.spec = spec;
    this.state = state;
    this.netConf = workDir.resolve("net-conf.json");
    this.log = workDir.resolve("kube-api.log");
  }

  /** The API URL daemons use. */
  public static String apiUrl() {
    return "http://" + Underlay.SWITCH_IP + ":" + PORT;
  }

  @Override
  public void start() {
    try {
      Files.writeString(netConf, spec.netConfJson() + "\n");
      String java = ProcessHandle.current().info().command().orElse("java");
      List<String> cmd = Exec.inNetns(spec.switchNetns(), java, "-XX:+UseSerialGC",
          "-XX:TieredStopAtLevel=1", "-Xss512k", "-cp", spec.javaClasspath(),
          KubeApiMock.class.getName(), Underlay.SWITCH_IP, Integer.toString(PORT));
      child = new ProcessBuilder(cmd)
          .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    } catch (IOException e) {
      throw new LabException("cannot start the kube API mock in " + spec.switchNetns() + ": "
          + e.getMessage(), e);
    }
    process = TrackedProcess.of(child.toHandle(), "kube API mock");
    state.addProcess(process);
    replies = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
    commands = new PrintStream(child.getOutputStream(), true, StandardCharsets.UTF_8);
    String ready = readLine(Duration.ofSeconds(60));
    if (ready == null || !ready.startsWith("READY")) {
      throw new LabException("kube API mock did not start (said: " + ready + "); see " + log);
    }
  }

  /** Sends one control command and returns the reply after {@code OK}; fails on {@code ERR}. */
  public synchronized String command(String line) {
    if (child == null || !child.isAlive()) {
      throw new LabException("kube API mock is not running; see " + log);
    }
    commands.println(line);
    String reply = readLine(Duration.ofSeconds(30));
    if (reply == null) {
      throw new LabException("kube API mock closed its output after '" + line + "'; see " + log);
    }
    if (!reply.startsWith("OK")) {
      throw new LabException("kube API mock: " + line + " -> " + reply);
    }
    return reply.length() > 3 ? reply.substring(3) : "";
  }

  /** The Node object as the API server holds it. */
  public JsonNode node(String name) {
    try {
      return JSON.readTree(command("GET-NODE " + name));
    } catch (IOException e) {
      throw new LabException("kube API mock returned bad JSON for node " + name, e);
    }
  }

  /** The podCIDR the lab assigns to node {@code index}: the index-th /24 of the network. */
  public static String podCidr(String network, int index) {
    IPAddress net = new IPAddressString(network).getAddress();
    if (net == null || !net.isIPv4()) {
      throw new LabException("lab network " + network + " is not an IPv4 CIDR");
    }
    IPAddress sub = net.getLower().increment(256L * index).setPrefixLength(24, false)
        .toPrefixBlock();
    if (!net.contains(sub)) {
      throw new LabException("node " + index + " has no /24 left inside " + network);
    }
    return sub.toString();
  }

  @Override
  public List<String> daemonArgs(LabNode node) {
    if (spec.fromImage()) {
      // The node's ConfigMap folder is mounted at /etc/kube-flannel, where the daemon reads
      // net-conf.json by default, as in the DaemonSet (LabCluster).
      return List.of("--kube-subnet-mgr", "--kube-api-url", apiUrl());
    }
    return List.of("--kube-subnet-mgr", "--kube-api-url", apiUrl(),
        "--net-config-path", netConf.toString());
  }

  @Override
  public Map<String, String> daemonEnv(LabNode node) {
    return Map.of("NODE_NAME", node.name());
  }

  @Override
  public void nodeJoining(LabNode node) {
    command("ADD-NODE " + node.name() + " " + podCidr(spec.network(), node.index()) + " "
        + node.underlayIp());
  }

  @Override
  public void nodeLeaving(LabNode node, String subnet) {
    command("DELETE-NODE " + node.name());
  }

  @Override
  public List<String> subnets() {
    List<String> out = new ArrayList<>();
    for (String name : command("LIST-NODES").split(",")) {
      if (!name.isBlank()) {
        out.add(node(name).path("spec").path("podCIDR").asText());
      }
    }
    return out;
  }

  @Override
  public String describe() {
    return "kube API (mock) " + apiUrl();
  }

  @Override
  public void close() {
    if (process != null) {
      process.stop(Duration.ofSeconds(5));
      state.removeProcess(process);
      process = null;
    }
  }

  private String readLine(Duration limit) {
    CompletableFuture<String> f = CompletableFuture.supplyAsync(() -> {
      try {
        return replies.readLine();
      } catch (IOException e) {
        return null;
      }
    }, r -> {
      Thread t = new Thread(r, "kube-mock-reply");
      t.setDaemon(true);
      t.start();
    });
    try {
      return f.get(limit.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new LabException("kube API mock did not answer within " + limit.toSeconds()
          + " s; see " + log);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new LabException("interrupted", e);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new LabException("kube API mock reply failed: " + e.getCause(), e.getCause());
    }
  }
}
