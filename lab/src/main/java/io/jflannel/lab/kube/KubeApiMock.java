package io.jflannel.lab.kube;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Kubernetes API server for the lab: the fabric8 mock in CRUD mode (with
 * {@link NodeStatusDispatcher}) listening on plain HTTP. It runs as its own process inside the
 * lab's switch namespace, so the node namespaces reach it over the underlay like a real API
 * server; the lab drives it through a line protocol on stdin/stdout:
 *
 * <pre>
 * ADD-NODE &lt;name&gt; &lt;podCIDR&gt; &lt;internalIP&gt;   → OK
 * DELETE-NODE &lt;name&gt;                        → OK | ERR ...
 * GET-NODE &lt;name&gt;                           → OK &lt;node JSON on one line&gt; | ERR ...
 * LIST-NODES                                → OK name,name,...
 * ANNOTATE-NODE &lt;name&gt; &lt;key&gt;=&lt;value&gt;...  → OK | ERR ...   (value without spaces)
 * REQUESTS                                  → OK METHOD path;METHOD path;... (received since the last REQUESTS)
 * QUIT                                      → OK, then exits
 * </pre>
 *
 * <p>It prints {@code READY <url>} once listening. End of input does not stop it (a kept lab
 * outlives the process that started it); SIGTERM does.
 */
public final class KubeApiMock {
  private static final Logger LOG = LoggerFactory.getLogger(KubeApiMock.class);

  private final KubernetesMockServer server;
  private final KubernetesClient client;

  private KubeApiMock(InetAddress address, int port) {
    server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
        new NodeStatusDispatcher(), false);
    server.init(address, port);
    client = server.createClient();
  }

  /** Usage: {@code KubeApiMock <address> <port>}. */
  public static void main(String[] args) throws Exception {
    if (args.length != 2) {
      System.err.println("usage: KubeApiMock <listen address> <port>");
      System.exit(2);
    }
    InetAddress address = InetAddress.getByName(args[0]);
    int port = Integer.parseInt(args[1]);
    KubeApiMock mock = new KubeApiMock(address, port);
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    Runtime.getRuntime().addShutdownHook(new Thread(mock::close, "kube-mock-shutdown"));
    out.println("READY http://" + args[0] + ":" + port);
    LOG.info("kube API mock listening on {}:{}", args[0], port);
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null) {
      if (line.isBlank()) {
        continue;
      }
      String reply;
      try {
        reply = mock.command(line.strip());
      } catch (RuntimeException e) {
        reply = "ERR " + String.valueOf(e.getMessage()).replace('\n', ' ');
      }
      out.println(reply);
      if (line.strip().equals("QUIT")) {
        mock.close();
        System.exit(0);
      }
    }
    LOG.info("control input closed; serving until terminated");
    new CountDownLatch(1).await();
  }

  String command(String line) {
    String[] w = line.split("\\s+");
    switch (w[0]) {
      case "ADD-NODE" -> {
        need(w, 4, "ADD-NODE <name> <podCIDR> <internalIP>");
        client.nodes().resource(node(w[1], w[2], w[3])).create();
        return "OK";
      }
      case "DELETE-NODE" -> {
        need(w, 2, "DELETE-NODE <name>");
        if (client.nodes().withName(w[1]).delete().isEmpty()) {
          return "ERR node " + w[1] + " not found";
        }
        return "OK";
      }
      case "GET-NODE" -> {
        need(w, 2, "GET-NODE <name>");
        Node n = client.nodes().withName(w[1]).get();
        return n == null ? "ERR node " + w[1] + " not found" : "OK " + Serialization.asJson(n);
      }
      case "LIST-NODES" -> {
        List<String> names = client.nodes().list().getItems().stream()
            .map(n -> n.getMetadata().getName()).sorted().toList();
        return "OK " + String.join(",", names);
      }
      case "ANNOTATE-NODE" -> {
        if (w.length < 3) {
          throw new IllegalArgumentException("usage: ANNOTATE-NODE <name> <key>=<value>...");
        }
        Map<String, String> changes = new LinkedHashMap<>();
        for (int i = 2; i < w.length; i++) {
          int eq = w[i].indexOf('=');
          if (eq <= 0) {
            throw new IllegalArgumentException("not key=value: " + w[i]);
          }
          changes.put(w[i].substring(0, eq), w[i].substring(eq + 1));
        }
        if (client.nodes().withName(w[1]).get() == null) {
          return "ERR node " + w[1] + " not found";
        }
        client.nodes().withName(w[1]).edit(n -> {
          Map<String, String> a = n.getMetadata().getAnnotations() == null ? new HashMap<>()
              : new HashMap<>(n.getMetadata().getAnnotations());
          a.putAll(changes);
          n.getMetadata().setAnnotations(a);
          return n;
        });
        return "OK";
      }
      case "REQUESTS" -> {
        return "OK " + String.join(";", takeRequests());
      }
      case "QUIT" -> {
        return "OK";
      }
      default -> {
        return "ERR unknown command " + w[0];
      }
    }
  }

  /**
   * Every request the server received since the last call, as {@code METHOD path}: what a test
   * asserts a read-only client (flanneld check) sent. The control commands' own requests are
   * among them, so a test takes them right before and after what it watches.
   */
  private List<String> takeRequests() {
    List<String> out = new ArrayList<>();
    try {
      for (RecordedRequest r = server.takeRequest(0, TimeUnit.MILLISECONDS); r != null;
          r = server.takeRequest(0, TimeUnit.MILLISECONDS)) {
        out.add(r.getMethod() + " " + r.getPath());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return out;
  }

  /** A Node as the kubelet and the controller manager would have registered it. */
  static Node node(String name, String podCidr, String internalIp) {
    return new NodeBuilder()
        .withNewMetadata().withName(name)
        .addToLabels("kubernetes.io/hostname", name).addToLabels("kubernetes.io/os", "linux")
        .endMetadata()
        .withNewSpec().withPodCIDR(podCidr).withPodCIDRs(podCidr).endSpec()
        .withNewStatus()
        .addNewAddress().withType("InternalIP").withAddress(internalIp).endAddress()
        .addNewAddress().withType("Hostname").withAddress(name).endAddress()
        .addNewCondition().withType("Ready").withStatus("True").withReason("KubeletReady")
        .withMessage("kubelet is posting ready status").endCondition()
        .endStatus()
        .build();
  }

  private static void need(String[] words, int n, String usage) {
    if (words.length != n) {
      throw new IllegalArgumentException("usage: " + usage);
    }
  }

  private void close() {
    try {
      client.close();
    } finally {
      server.destroy();
    }
  }
}
