package io.jflannel.backend.extension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.jflannel.backend.BackendContext;
import io.jflannel.backend.ExternalInterface;
import io.jflannel.backend.InMemorySubnetManager;
import io.jflannel.backend.Network;
import io.jflannel.backend.PeerFeed;
import io.jflannel.backend.RecordingListener;
import io.jflannel.backend.lab.Lab;
import io.jflannel.backend.lab.Prereq;
import io.jflannel.backend.lab.Sh;
import io.jflannel.netlink.Netlink;
import io.jflannel.subnet.IpNet;
import io.jflannel.subnet.Lease;
import io.jflannel.subnet.NetworkConfig;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The extension backend building a host-gw-like dataplane with upstream's documented example
 * commands (run inside each node's namespace with {@code ip -n}), against real namespaces (root).
 */
class ExtensionKernelTest {
  static final ObjectMapper JSON = new ObjectMapper();
  @TempDir
  Path out;
  Lab lab;
  final List<Netlink> handles = new ArrayList<>();
  final List<Network> nets = new ArrayList<>();
  final List<RecordingListener> listeners = new ArrayList<>();

  @BeforeEach
  void prereq() {
    Prereq.requireRootAndCommands("ip", "ping", "sh");
  }

  @AfterEach
  void tearDown() {
    nets.forEach(Network::close);
    handles.forEach(Netlink::close);
    if (lab != null) {
      lab.close();
    }
  }

  /** Node {@code n}'s network with commands given per node ({@code %s} = its namespace). */
  Network register(int n, String backendTemplate, Duration timeout) throws Exception {
    String ns = lab.node(n).ns();
    NetworkConfig cfg = InMemorySubnetManager.config("10.244.0.0/16",
        new NetworkConfig.BackendConfig("extension", JSON.readTree(backendTemplate.replace("%s", ns))));
    InMemorySubnetManager sm = new InMemorySubnetManager(cfg, IpNet.parse(lab.node(n).subnet()), null);
    Netlink nl = Netlink.open(lab.node(n).netns());
    handles.add(nl);
    RecordingListener l = new RecordingListener();
    listeners.add(l);
    ExternalInterface ext = ExternalInterface.ipv4("eth0", Lab.ifindex(ns, "eth0"),
        InetAddress.getByName(lab.node(n).addr()), 1500);
    Network net = new ExtensionBackend(new BackendContext(nl, ext, sm, l, Duration.ofHours(1)), timeout)
        .registerNetwork(cfg);
    nets.add(net);
    return net;
  }

  static List<String> overlayRoutes(String ns) {
    return Arrays.stream(Sh.ip(ns, "route", "show").split("\n")).map(String::strip)
        .filter(l -> l.startsWith("10.244.") && l.contains(" via ")).sorted().toList();
  }

  boolean ping(int from, int to) {
    for (int i = 0; i < 3; i++) {
      if (lab.ping(lab.node(from), lab.node(to).podIp())) {
        return true;
      }
    }
    return false;
  }

  static final String HOST_GW_LIKE = "{\"Type\":\"extension\","
      + "\"SubnetAddCommand\":\"ip -n %s route replace $SUBNET via $PUBLIC_IP\","
      + "\"SubnetRemoveCommand\":\"ip -n %s route del $SUBNET via $PUBLIC_IP\"}";

  @Test
  void upstreamsHostGwExampleConnectsPodsAndRemovalTakesTheRouteAway() throws Exception {
    lab = Lab.create(3, true);
    for (int n = 1; n <= 3; n++) {
      register(n, HOST_GW_LIKE, Duration.ofSeconds(30));
    }
    for (int n = 1; n <= 3; n++) {
      List<Lease> peers = new ArrayList<>();
      for (int m = 1; m <= 3; m++) {
        if (m != n) {
          peers.add(nets.get(m - 1).lease());
        }
      }
      PeerFeed.reconcile(nets.get(n - 1), peers);
    }
    assertEquals(List.of("10.244.2.0/24 via 192.0.2.2 dev eth0", "10.244.3.0/24 via 192.0.2.3 dev eth0"),
        overlayRoutes(lab.node(1).ns()));
    assertTrue(ping(1, 2), "pod 1 -> pod 2 over the extension's routes");
    assertTrue(ping(2, 3), "pod 2 -> pod 3");
    assertTrue(ping(3, 1), "pod 3 -> pod 1");
    PeerFeed.reconcile(nets.get(0), List.of(nets.get(2).lease()));
    assertEquals(List.of("10.244.3.0/24 via 192.0.2.3 dev eth0"), overlayRoutes(lab.node(1).ns()));
    listeners.forEach(l -> assertEquals(0, l.counts.keySet().stream().filter(k -> k.startsWith("command.")).count(),
        l.counts.toString()));
  }

  /**
   * A peer whose command hangs is killed after the timeout and counted; the other peers' routes
   * are in the kernel when the pass returns.
   */
  @Test
  void aHangingCommandDoesNotKeepOtherPeersOutOfTheKernel() throws Exception {
    lab = Lab.create(1, false);
    Path script = Scripts.write(out, "add.sh", """
        #!/bin/sh
        # add.sh NS: hangs for 10.244.3.0/24, else adds the route in NS
        if [ "$SUBNET" = 10.244.3.0/24 ]; then sleep 600; fi
        exec ip -n "$1" route replace "$SUBNET" via "$PUBLIC_IP"
        """);
    Network net = register(1, "{\"Type\":\"extension\",\"SubnetAddCommand\":\"" + script + " %s\"}",
        Duration.ofSeconds(2));
    List<Lease> peers = new ArrayList<>();
    for (int n = 2; n <= 6; n++) {
      peers.add(new Lease(IpNet.parse("10.244." + n + ".0/24"), null, new io.jflannel.subnet.LeaseAttrs(
          InetAddress.getByName("192.0.2." + (100 + n)), null, "extension", null, null), null));
    }
    PeerFeed.reconcile(net, peers);
    List<String> routes = overlayRoutes(lab.node(1).ns());
    assertEquals(4, routes.size(), routes.toString());
    assertFalse(routes.stream().anyMatch(r -> r.startsWith("10.244.3.0/24")), routes.toString());
    assertEquals(1, listeners.get(0).count("command.subnet_add.timeout"));
    assertEquals(1, listeners.get(0).failing);
    assertEquals(4, listeners.get(0).peers);
  }

  /** The commands run in the node's namespace context see the variables upstream sets. */
  @Test
  void commandsRunInANamespaceGetTheirEnvironmentAndStdin() throws Exception {
    lab = Lab.create(2, false);
    Path script = Scripts.write(out, "rec.sh", """
        #!/bin/sh
        # rec.sh OUT: records what it got, and the routes of the namespace it ran in
        env > "$1/env"; cat > "$1/stdin"; ip route show > "$1/routes"
        """);
    Network net = register(1, "{\"Type\":\"extension\",\"SubnetAddCommand\":\"ip netns exec %s " + script + " " + out
        + "\"}", Duration.ofSeconds(30));
    Lease peer = new Lease(IpNet.parse("10.244.2.0/24"), null, new io.jflannel.subnet.LeaseAttrs(
        InetAddress.getByName("192.0.2.2"), null, "extension", JSON.getNodeFactory().textNode("vtep 2a:00:00:00:00:02"),
        null), null);
    PeerFeed.reconcile(net, List.of(peer));
    String env = Files.readString(out.resolve("env"));
    assertTrue(env.contains("SUBNET=10.244.2.0/24\n") && env.contains("PUBLIC_IP=192.0.2.2\n"), env);
    assertEquals("vtep 2a:00:00:00:00:02\n", Files.readString(out.resolve("stdin")));
    assertTrue(Files.readString(out.resolve("routes")).contains("192.0.2.0/24 dev eth0"),
        "ran inside the node's namespace");
  }
}
