package io.jflannel.backend.extension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.jflannel.backend.BackendContext;
import io.jflannel.backend.BackendException;
import io.jflannel.backend.Backends;
import io.jflannel.backend.ExternalInterface;
import io.jflannel.backend.FakeNetlink;
import io.jflannel.backend.InMemorySubnetManager;
import io.jflannel.backend.LogCapture;
import io.jflannel.backend.Network;
import io.jflannel.backend.PeerFeed;
import io.jflannel.backend.RecordingListener;
import io.jflannel.subnet.IpNet;
import io.jflannel.subnet.Lease;
import io.jflannel.subnet.LeaseAttrs;
import io.jflannel.subnet.LeaseAttrsJson;
import io.jflannel.subnet.NetworkConfig;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The extension backend with real processes (a shell script recording what it gets) and no
 * kernel: environment, stdin, arguments, failures, hangs, removals, retries, rejections.
 */
class ExtensionNetworkTest {
  static final ObjectMapper JSON = new ObjectMapper();
  @TempDir
  Path out;
  final RecordingListener listener = new RecordingListener();
  InMemorySubnetManager sm;
  Network net;

  @AfterEach
  void close() {
    if (net != null) {
      net.close();
    }
  }

  String cmd(String label, String... args) throws Exception {
    Path script = Scripts.write(out, "cmd.sh", Scripts.CMD);
    return script + " " + out + " " + label + (args.length == 0 ? "" : " " + String.join(" ", args));
  }

  Network start(String backendJson, Duration timeout) throws Exception {
    JsonNode backend = JSON.readTree(backendJson);
    NetworkConfig cfg = InMemorySubnetManager.config("10.244.0.0/16", new NetworkConfig.BackendConfig("extension", backend));
    sm = new InMemorySubnetManager(cfg, IpNet.parse("10.244.1.0/24"), null);
    InetAddress own = InetAddress.getByName("192.0.2.1");
    // --public-ip differs from the interface address: upstream's extension publishes the interface's
    ExternalInterface ext = new ExternalInterface("eth0", 2, own, null, InetAddress.getByName("198.51.100.1"), null,
        1400);
    BackendContext ctx = new BackendContext(new FakeNetlink(), ext, sm, listener, Duration.ofHours(1));
    net = new ExtensionBackend(ctx, timeout).registerNetwork(cfg);
    return net;
  }

  String backend(String add, String remove) {
    return "{\"Type\":\"extension\",\"SubnetAddCommand\":\"" + add + "\",\"SubnetRemoveCommand\":\"" + remove + "\"}";
  }

  static Lease peer(int n, JsonNode data) throws Exception {
    return new Lease(IpNet.parse("10.244." + n + ".0/24"), null,
        new LeaseAttrs(InetAddress.getByName("192.0.2." + n), null, "extension", data, null), null);
  }

  String read(String label, String subnet, String ext) throws Exception {
    return Files.readString(out.resolve(label + "-" + Scripts.key(subnet) + "." + ext));
  }

  /** Every command run so far, sorted (commands of one pass run side by side). */
  List<String> runs() throws Exception {
    Path p = out.resolve("runs");
    return Files.exists(p) ? Files.readAllLines(p).stream().sorted().toList() : List.of();
  }

  @Test
  void theFactoryIsFoundByType() throws Exception {
    assertTrue(Backends.knownTypes().contains("extension"), Backends.knownTypes().toString());
    assertTrue(Backends.factory("EXTENSION") instanceof ExtensionBackendFactory);
  }

  @Test
  void addAndRemoveCommandsGetUpstreamsVariablesStdinAndExpandedArguments() throws Exception {
    start(backend(cmd("add", "$SUBNET", "${PUBLIC_IP}", "\\\"$SUBNET\\\""), cmd("remove")), Duration.ofSeconds(30));
    Lease p2 = peer(2, TextNode.valueOf("2a:00:00:00:00:02 and more"));
    Lease p3 = peer(3, null); // a peer without a PreStartupCommand publishes no data
    PeerFeed.reconcile(net, List.of(p2, p3));
    String env = read("add", "10.244.2.0/24", "env");
    assertTrue(env.contains("SUBNET=10.244.2.0/24\n"), env);
    assertTrue(env.contains("PUBLIC_IP=192.0.2.2\n"), env);
    assertTrue(env.contains("PATH=" + System.getenv("PATH") + "\n"), "the daemon's environment is passed on:\n" + env);
    assertFalse(env.contains("NETWORK="), "only SUBNET and PUBLIC_IP, as upstream:\n" + env);
    assertEquals("2a:00:00:00:00:02 and more\n", read("add", "10.244.2.0/24", "stdin"));
    assertEquals("10.244.2.0/24\n192.0.2.2\n\"10.244.2.0/24\"\n", read("add", "10.244.2.0/24", "args"),
        "no shell: quotes stay, variables are expanded in place");
    assertEquals("\n", read("add", "10.244.3.0/24", "stdin"));
    assertEquals(List.of("add 10.244.2.0/24", "add 10.244.3.0/24"), runs());
    assertEquals(Map.of(p2.key(), p2, p3.key(), p3), ((ExtensionNetwork) net).applied());
    assertEquals(2, listener.peers);

    // A relist of the same peers runs nothing again; a changed lease runs the add command again.
    net.reconcile(new io.jflannel.subnet.PeerChanges(Map.of(p2.key(), p2, p3.key(), p3), Map.of(), true, 2));
    Lease p2moved = new Lease(p2.subnet(), null,
        new LeaseAttrs(InetAddress.getByName("192.0.2.22"), null, "extension", p2.attrs().backendData(), null), null);
    PeerFeed.reconcile(net, List.of(p2moved, p3));
    assertTrue(read("add", "10.244.2.0/24", "env").contains("PUBLIC_IP=192.0.2.22\n"));
    // Removal: the remove command gets the lease last seen.
    PeerFeed.reconcile(net, List.of(p3));
    String removed = read("remove", "10.244.2.0/24", "env");
    assertTrue(removed.contains("SUBNET=10.244.2.0/24\n") && removed.contains("PUBLIC_IP=192.0.2.22\n"), removed);
    assertEquals("2a:00:00:00:00:02 and more\n", read("remove", "10.244.2.0/24", "stdin"));
    assertEquals(List.of("add 10.244.2.0/24", "add 10.244.2.0/24", "add 10.244.3.0/24", "remove 10.244.2.0/24"),
        runs());
    assertEquals(0, listener.counts.keySet().stream().filter(k -> k.startsWith("command.")).count());
  }

  @Test
  void startupCommandsPublishTheOutputAsAJsonStringAndGetTheOwnLease() throws Exception {
    Path pre = Scripts.write(out, "pre.sh", "#!/bin/sh\necho '  {\"mac\":\"2a:00:00:00:00:01\"}'\necho warn >&2\n");
    Path post = Scripts.write(out, "post.sh", "#!/bin/sh\nenv > \"$1/post.env\"\ncat > \"$1/post.stdin\"\n");
    start("{\"Type\":\"extension\",\"PreStartupCommand\":\"" + pre + "\",\"PostStartupCommand\":\"" + post + " " + out
        + "\"}", Duration.ofSeconds(30));
    LeaseAttrs published = sm.published();
    assertEquals(TextNode.valueOf("{\"mac\":\"2a:00:00:00:00:01\"}\nwarn"), published.backendData(),
        "stdout and stderr combined and trimmed, as upstream");
    assertEquals("{\"PublicIP\":\"192.0.2.1\",\"PublicIPv6\":null,\"BackendType\":\"extension\",\"BackendData\":"
        + "\"{\\\"mac\\\":\\\"2a:00:00:00:00:01\\\"}\\nwarn\"}", LeaseAttrsJson.write(published));
    String env = Files.readString(out.resolve("post.env"));
    for (String v : List.of("NETWORK=10.244.0.0/16", "SUBNET=10.244.1.0/24", "IPV6SUBNET=::/0", "PUBLIC_IP=192.0.2.1",
        "PUBLIC_IPV6=<nil>")) {
      assertTrue(env.contains(v + "\n"), v + " in\n" + env);
    }
    assertEquals("\n", Files.readString(out.resolve("post.stdin")));
    assertEquals(1400, net.mtu());
  }

  @Test
  void withoutPreStartupCommandNoBackendDataIsPublished() throws Exception {
    start("{\"Type\":\"extension\"}", Duration.ofSeconds(30));
    assertEquals("{\"PublicIP\":\"192.0.2.1\",\"PublicIPv6\":null,\"BackendType\":\"extension\"}",
        LeaseAttrsJson.write(sm.published()));
    PeerFeed.reconcile(net, List.of(peer(2, null)));
    assertEquals(1, listener.peers, "a peer with no add command configured counts as served");
  }

  @Test
  void aFailingStartupCommandStopsStartUpWithItsStatusAndOutput() throws Exception {
    Path pre = Scripts.write(out, "pre.sh", "#!/bin/sh\necho 'no vxlan here' >&2\nexit 4\n");
    BackendException e = assertThrows(BackendException.class,
        () -> start("{\"Type\":\"extension\",\"PreStartupCommand\":\"" + pre + "\"}", Duration.ofSeconds(30)));
    assertTrue(e.getMessage().contains("PreStartupCommand [" + pre + "] exited with status 4, output: no vxlan here"),
        e.getMessage());
    assertEquals(1, listener.count("command.pre_startup.exit"));
    assertEquals(null, sm.published(), "no lease without the backend data");
    e = assertThrows(BackendException.class,
        () -> start("{\"Type\":\"extension\",\"PostStartupCommand\":\"" + out.resolve("missing") + "\"}",
            Duration.ofSeconds(30)));
    assertTrue(e.getMessage().contains("PostStartupCommand [" + out.resolve("missing") + "] could not be started"),
        e.getMessage());
    assertEquals(1, listener.count("command.post_startup.start"));
  }

  @Test
  void aFailingCommandIsLoggedOnceCountedAndRetriedWhileOthersAreServed() throws Exception {
    start(backend(cmd("add"), cmd("remove")), Duration.ofSeconds(30));
    Files.createFile(out.resolve("fail-" + Scripts.key("10.244.3.0/24")));
    try (LogCapture log = LogCapture.of(ExtensionNetwork.class)) {
      PeerFeed.reconcile(net, List.of(peer(2, null), peer(3, null), peer(4, null)));
      assertTrue(Files.exists(out.resolve("add-10.244.2.0_24.env")));
      assertTrue(Files.exists(out.resolve("add-10.244.4.0_24.env")));
      var warns = log.lines(Level.WARN, "10.244.3.0-24");
      assertEquals(1, warns.size(), log.all());
      assertTrue(warns.get(0).contains("exited with status 3, output: some output\nboom for 10.244.3.0/24"), warns.get(0));
      assertEquals(1, listener.count("command.subnet_add.exit"));
      assertEquals(1, listener.failing);
      assertEquals(2, listener.peers);
      ((ExtensionNetwork) net).resyncNow();
      assertEquals(2, listener.count("command.subnet_add.exit"), "retried on the next pass");
      assertEquals(1, log.lines(Level.WARN, "10.244.3.0-24").size(), "the same failure is not logged again");
      Files.delete(out.resolve("fail-" + Scripts.key("10.244.3.0/24")));
      ((ExtensionNetwork) net).resyncNow();
      assertEquals(0, listener.failing);
      assertEquals(3, listener.peers);
      assertEquals(1, log.lines(Level.INFO, "succeeded after failing").size(), log.all());
    }
    assertEquals(List.of("add 10.244.2.0/24", "add 10.244.3.0/24", "add 10.244.3.0/24", "add 10.244.3.0/24",
        "add 10.244.4.0/24"), runs(), "only the failing peer runs again");
  }

  @Test
  void aHangingCommandIsKilledWithItsChildAndCountedAndOtherPeersAreServed() throws Exception {
    start(backend(cmd("add"), cmd("remove")), Duration.ofMillis(1500));
    Files.createFile(out.resolve("hang-" + Scripts.key("10.244.3.0/24")));
    List<Lease> peers = new ArrayList<>();
    for (int n = 2; n <= 9; n++) {
      peers.add(peer(n, null));
    }
    PeerFeed.reconcile(net, peers);
    for (int n = 2; n <= 9; n++) {
      assertEquals(n != 3, Files.exists(out.resolve("add-10.244." + n + ".0_24.env")), "peer " + n);
    }
    assertEquals(1, listener.count("command.subnet_add.timeout"));
    String why = ((ExtensionNetwork) net).failingPeers().get("10.244.3.0-24");
    assertTrue(why != null && why.contains("was killed after running too long"), String.valueOf(why));
    long child = Long.parseLong(Files.readString(out.resolve("child-10.244.3.0_24")).strip());
    assertTrue(Scripts.dead(child), "the command's own child is killed too (pid " + child + ")");
    Files.delete(out.resolve("hang-" + Scripts.key("10.244.3.0/24")));
    ((ExtensionNetwork) net).resyncNow();
    assertEquals(8, ((ExtensionNetwork) net).applied().size());
  }

  @Test
  void foreignBackendsAndUnparsableDataAreRefusedWithAReason() throws Exception {
    start(backend(cmd("add"), cmd("remove")), Duration.ofSeconds(30));
    Lease vxlan = new Lease(IpNet.parse("10.244.5.0/24"), null, new LeaseAttrs(InetAddress.getByName("192.0.2.5"),
        null, "vxlan", JSON.readTree("{\"VNI\":1,\"VtepMAC\":\"2a:00:00:00:00:05\"}"), null), null);
    Lease object = peer(6, JSON.readTree("{\"VtepMAC\":\"2a:00:00:00:00:06\"}"));
    Lease nul = peer(7, NullNode.getInstance());
    PeerFeed.reconcile(net, List.of(vxlan, object, nul, peer(2, null)));
    var rejected = ((ExtensionNetwork) net).rejectedPeers();
    assertEquals("backend type \"vxlan\" differs from ours (\"extension\")", rejected.get(vxlan.key()).detail());
    assertTrue(rejected.get(object.key()).detail().startsWith("backend data {\"VtepMAC\":\"2a:00:00:00:00:06\"} is not a JSON string"),
        rejected.get(object.key()).detail());
    assertEquals(1, listener.count("rejected.BACKEND_TYPE_MISMATCH"));
    assertEquals(1, listener.count("rejected.BACKEND_DATA_INVALID"));
    assertEquals(List.of("add 10.244.2.0/24", "add 10.244.7.0/24"), runs());
    // A peer that turns bad gets its remove command, as if it had left.
    PeerFeed.reconcile(net, List.of(vxlan, object, peer(7, JSON.readTree("[1]")), peer(2, null)));
    assertEquals(List.of("add 10.244.2.0/24", "add 10.244.7.0/24", "remove 10.244.7.0/24"), runs());
  }
}
