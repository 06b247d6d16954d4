package io.jflannel.backend.hostgw;

import io.jflannel.backend.PeerFeed;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.NullNode;
import ch.qos.logback.classic.Level;
import io.jflannel.backend.LogCapture;
import io.jflannel.backend.ReconcilingNetwork;
import io.jflannel.backend.lab.BackendCluster;
import io.jflannel.backend.lab.Lab;
import io.jflannel.backend.lab.EventClock;
import io.jflannel.backend.lab.Prereq;
import io.jflannel.backend.lab.Sh;
import io.jflannel.netlink.NetlinkEvent;
import io.jflannel.subnet.IpNet;
import io.jflannel.subnet.Lease;
import io.jflannel.subnet.LeaseAttrs;
import io.jflannel.subnet.LeaseAttrsJson;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The host-gw backend against real namespaces (root). */
class HostGwKernelTest {
  static final String HOSTGW = "{\"Type\":\"host-gw\"}";
  BackendCluster c;

  @BeforeEach
  void prereq() {
    Prereq.requireRootAndCommands("ip", "ping");
  }

  @AfterEach
  void tearDown() {
    if (c != null) {
      c.close();
    }
  }

  /** Routes of the main table inside 10.244.0.0/16 via eth0, as `ip route` prints them. */
  static List<String> overlayRoutes(String ns) {
    return Arrays.stream(Sh.ip(ns, "route", "show", "dev", "eth0").split("\n")).map(String::strip)
        .filter(l -> l.startsWith("10.244.")).sorted().toList();
  }

  void assertPing(int from, int to) {
    boolean ok = false;
    for (int i = 0; i < 3 && !ok; i++) {
      ok = c.lab.ping(c.lab.node(from), c.lab.node(to).podIp());
    }
    assertTrue(ok, "pod " + from + " -> pod " + to + " over host-gw");
  }

  @Test
  void threeNodesGetOneRoutePerPeerAndPodsTalk() throws Exception {
    c = BackendCluster.start(3, true, HOSTGW);
    c.reconcileAll();
    assertNull(c.subnets.get(0).published().backendData());
    // the etcd value byte for byte as upstream writes it for host-gw: no BackendData key
    assertEquals("{\"PublicIP\":\"192.0.2.1\",\"PublicIPv6\":null,\"BackendType\":\"host-gw\"}",
        LeaseAttrsJson.write(c.subnets.get(0).published()));
    assertEquals("host-gw", c.subnets.get(0).published().backendType());
    assertEquals(1500, c.net(1).mtu());
    assertEquals(List.of("10.244.2.0/24 via 192.0.2.2", "10.244.3.0/24 via 192.0.2.3"), overlayRoutes(c.lab.node(1).ns()));
    assertEquals(List.of("10.244.1.0/24 via 192.0.2.1", "10.244.3.0/24 via 192.0.2.3"), overlayRoutes(c.lab.node(2).ns()));
    assertPing(1, 2);
    assertPing(2, 3);
    assertPing(3, 1);
    // Removal deletes the route.
    PeerFeed.reconcile(c.net(1), List.of(c.lease(3)));
    assertEquals(List.of("10.244.3.0/24 via 192.0.2.3"), overlayRoutes(c.lab.node(1).ns()));
  }

  @Test
  void lostRoutesComeBackAndStaleOnesGoWhileForeignStay() throws Exception {
    c = BackendCluster.start(3, true, HOSTGW);
    c.reconcileAll();
    String ns = c.lab.node(1).ns();
    Sh.ip(ns, "route", "add", "172.16.9.0/24", "via", "192.0.2.3", "dev", "eth0");
    Sh.ip(ns, "route", "add", "10.244.66.0/24", "dev", "eth0");
    c.register(1, null);
    PeerFeed.reconcile(c.net(1), List.of(c.lease(2)));
    c.net(1).start();
    assertEquals(List.of("10.244.2.0/24 via 192.0.2.2", "10.244.66.0/24 scope link"), overlayRoutes(ns));
    assertTrue(Sh.ip(ns, "route", "show").contains("172.16.9.0/24 via 192.0.2.3 dev eth0"));
    assertTrue(Sh.ip(ns, "route", "show").contains("192.0.2.0/24 dev eth0 proto kernel scope link src 192.0.2.1"));
    List<Duration> lat = new ArrayList<>();
    try (EventClock clock = new EventClock(c.handles.get(0))) {
      for (int i = 0; i < 5; i++) {
        clock.reset();
        Sh.ip(ns, "route", "del", "10.244.2.0/24");
        lat.add(clock.between(e -> e instanceof NetlinkEvent.RouteDeleted r && r.route().dst() != null
                && r.route().dst().getHostAddress().equals("10.244.2.0"),
            e -> e instanceof NetlinkEvent.RouteAdded r && r.route().dst() != null
                && r.route().dst().getHostAddress().equals("10.244.2.0"), Duration.ofSeconds(2)));
      }
    }
    assertPing(1, 2);
    List<Duration> s = lat.stream().sorted().toList();
    String line = String.format("host-gw route (ip route del): n=%d median %.2f ms, max %.2f ms", s.size(),
        s.get(s.size() / 2).toNanos() / 1e6, s.get(s.size() - 1).toNanos() / 1e6);
    System.out.println(line);
    java.nio.file.Files.writeString(java.nio.file.Path.of("target", "repair-latency.txt"), line + "\n");
    assertTrue(c.listeners.get(0).count("repaired.ROUTE") >= 5);
  }

  @Test
  void peerNotOnLinkIsWarnedAboutAndOthersKeepWorking() throws Exception {
    c = BackendCluster.start(3, false, HOSTGW);
    Lease far = new Lease(IpNet.parse("10.244.9.0/24"), null,
        new LeaseAttrs(InetAddress.getByName("198.51.100.9"), null, "host-gw", NullNode.getInstance(), null), null);
    Lease hostile = new Lease(IpNet.parse("10.244.1.0/24"), null,
        new LeaseAttrs(InetAddress.getByName("192.0.2.9"), null, "host-gw", NullNode.getInstance(), null), null);
    Lease vxlanPeer = new Lease(IpNet.parse("10.244.10.0/24"), null,
        new LeaseAttrs(InetAddress.getByName("192.0.2.10"), null, "vxlan", NullNode.getInstance(), null), null);
    PeerFeed.reconcile(c.net(1), List.of(c.lease(2), far, c.lease(3), hostile, vxlanPeer));
    assertEquals(List.of("10.244.2.0/24 via 192.0.2.2", "10.244.3.0/24 via 192.0.2.3"), overlayRoutes(c.lab.node(1).ns()));
    var l = c.listeners.get(0);
    assertEquals(1, l.count("rejected.PEER_NOT_ON_LINK"));
    assertEquals(1, l.count("rejected.SUBNET_OVERLAPS_OWN"));
    assertEquals(1, l.count("rejected.BACKEND_TYPE_MISMATCH"));
    assertEquals(0, l.counts.keySet().stream().filter(k -> k.startsWith("error.")).count(), "no netlink errors");
    assertFalse(Sh.ip(c.lab.node(1).ns(), "route", "show").contains("10.244.9.0"));
  }
  /** Polls until node {@code n}'s overlay routes are {@code want}; generous, as a repair may wait for a retry. */
  List<String> awaitRoutes(int n, List<String> want, Duration timeout) throws InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    List<String> have = overlayRoutes(c.lab.node(n).ns());
    while (!have.equals(want) && System.nanoTime() < end) {
      Thread.sleep(20);
      have = overlayRoutes(c.lab.node(n).ns());
    }
    return have;
  }

  static final List<String> PEERS_OF_1 = List.of("10.244.2.0/24 via 192.0.2.2", "10.244.3.0/24 via 192.0.2.3");

  /** Issue 18 item 2: a peer at an address no node can have is refused, not programmed. */
  @Test
  void peersAtTheUnderlaysBroadcastNetworkOrOurOwnAddressAreRefused() throws Exception {
    c = BackendCluster.start(3, false, HOSTGW);
    List<Lease> peers = new ArrayList<>(List.of(c.lease(2), c.lease(3)));
    peers.add(hostGw("10.244.20.0/24", "192.0.2.255"));
    peers.add(hostGw("10.244.21.0/24", "192.0.2.0"));
    peers.add(hostGw("10.244.22.0/24", "192.0.2.1"));
    PeerFeed.reconcile(c.net(1), peers);
    assertEquals(PEERS_OF_1, overlayRoutes(c.lab.node(1).ns()));
    var l = c.listeners.get(0);
    assertEquals(3, l.count("rejected.PUBLIC_IP_INVALID"), l.counts.toString());
    assertEquals(0, l.counts.keySet().stream().filter(k -> k.startsWith("error.")).count(), l.counts.toString());
  }

  /** The most retries a backoff of 1 s doubling allows in {@code elapsedMillis} (at 1, 3, 7, 15 s ...), plus one. */
  static int retriesWithBackoff(long elapsedMillis) {
    int k = 0;
    while (1000L * ((1L << (k + 1)) - 1) <= elapsedMillis) {
      k++;
    }
    return k + 1;
  }

  static Lease hostGw(String subnet, String ip) throws Exception {
    return new Lease(IpNet.parse(subnet), null,
        new LeaseAttrs(InetAddress.getByName(ip), null, "host-gw", NullNode.getInstance(), null), null);
  }

  /**
   * Issue 18 item 3: a route the kernel refuses (its gateway is a broadcast address here) is logged once,
   * retried with backoff, counted meanwhile, and reported once when it goes in; the good peers
   * are programmed all along.
   */
  @Test
  void aPeerTheKernelRefusesIsLoggedOnceAndRetriedWithBackoff() throws Exception {
    c = BackendCluster.start(3, false, HOSTGW);
    String ns = c.lab.node(1).ns();
    // A broadcast route in the local table (as an address with a custom broadcast leaves):
    // on-link by its prefix, neither the network's broadcast nor the network address, yet the
    // kernel refuses it as a gateway.
    Sh.ip(ns, "route", "add", "broadcast", "192.0.2.77", "dev", "eth0", "table", "local");
    Lease refused = hostGw("10.244.77.0/24", "192.0.2.77");
    try (LogCapture log = LogCapture.of(ReconcilingNetwork.class)) {
      c.net(1).start();
      long t0 = System.nanoTime();
      PeerFeed.reconcile(c.net(1), List.of(c.lease(2), c.lease(3), refused));
      assertEquals(PEERS_OF_1, overlayRoutes(ns), "the good peers go in at once");
      var l = c.listeners.get(0);
      assertEquals(1, l.failing);
      String error = ((ReconcilingNetwork) c.net(1)).failingPeers().get(refused.key());
      assertTrue(error != null && error.contains("Nexthop has invalid gateway"), String.valueOf(error));
      // Wait for three retries (1 + 2 + 4 s with backoff; a fixed 1 s retry would have made about 7).
      long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (l.count("resync.RETRY") < 3 && System.nanoTime() < end) {
        Thread.sleep(50);
      }
      long elapsed = System.nanoTime() - t0;
      int retries = l.count("resync.RETRY");
      assertTrue(retries >= 3, "retried: " + l.counts);
      assertTrue(retries <= retriesWithBackoff(elapsed / 1_000_000),
          retries + " retries in " + elapsed / 1_000_000 + " ms: not backing off");
      assertEquals(1, log.lines(Level.WARN, "not programmed").size(), log.all());
      assertEquals(1, log.lines(Level.WARN, "Nexthop has invalid gateway").size(), log.all());
      assertEquals(1, l.failing);
      Sh.ip(ns, "route", "del", "broadcast", "192.0.2.77", "dev", "eth0", "table", "local");
      List<String> all = List.of("10.244.2.0/24 via 192.0.2.2", "10.244.3.0/24 via 192.0.2.3",
          "10.244.77.0/24 via 192.0.2.77");
      assertEquals(all, awaitRoutes(1, all, Duration.ofSeconds(90)), "programmed by a later retry");
      long until = System.nanoTime() + Duration.ofSeconds(5).toNanos();
      while (l.failing != 0 && System.nanoTime() < until) {
        Thread.sleep(20);
      }
      assertEquals(0, l.failing);
      assertEquals(1, log.lines(Level.INFO, "peer " + refused.key() + " programmed after").size(), log.all());
      assertEquals(1, log.lines(Level.WARN, "not programmed").size(), log.all());
    }
  }

  /**
   * Issue 18 item 4: the kernel drops the routes through a downed interface without a
   * notification each; the link-up notification brings them back (not the 60 s resync).
   */
  @Test
  void routesComeBackWhenTheExternalInterfaceComesBackUp() throws Exception {
    c = BackendCluster.start(3, true, HOSTGW);
    c.reconcileAll();
    c.startAll();
    String ns = c.lab.node(1).ns();
    List<Duration> lat = new ArrayList<>();
    try (EventClock clock = new EventClock(c.handles.get(0))) {
      for (int i = 0; i < 3; i++) {
        Sh.ip(ns, "link", "set", "eth0", "down");
        assertEquals(List.of(), awaitRoutes(1, List.of(), Duration.ofSeconds(10)), "the kernel dropped them");
        clock.reset();
        Sh.ip(ns, "link", "set", "eth0", "up");
        assertEquals(PEERS_OF_1, awaitRoutes(1, PEERS_OF_1, Duration.ofSeconds(20)),
            "back long before the 60 s resync");
        lat.add(clock.between(e -> e instanceof NetlinkEvent.LinkChanged x && x.link().name().equals("eth0")
                && x.link().up(),
            e -> e instanceof NetlinkEvent.RouteAdded r && r.route().dst() != null
                && r.route().dst().getHostAddress().equals("10.244.3.0"), Duration.ofSeconds(20)));
      }
    }
    assertPing(1, 2);
    assertPing(3, 1);
    assertTrue(c.listeners.get(0).count("resync.LINK") >= 3, c.listeners.get(0).counts.toString());
    assertEquals(0, c.listeners.get(0).count("resync.PERIODIC"));
    List<Duration> s = lat.stream().sorted().toList();
    String line = String.format("host-gw routes after ip link set eth0 up (link-up notification to last route): "
        + "n=%d median %.2f ms, max %.2f ms", s.size(), s.get(s.size() / 2).toNanos() / 1e6,
        s.get(s.size() - 1).toNanos() / 1e6);
    System.out.println(line);
    java.nio.file.Files.writeString(java.nio.file.Path.of("target", "link-up-latency.txt"), line + "\n");
  }

  /**
   * Issue 18 item 6: the external interface deleted and created again under its name (a driver
   * reload): the routes come back on the new index.
   */
  @Test
  void routesFollowTheExternalInterfaceWhenItIsCreatedAgain() throws Exception {
    c = BackendCluster.start(3, true, HOSTGW);
    c.reconcileAll();
    c.startAll();
    String ns = c.lab.node(1).ns();
    int before = Lab.ifindex(ns, "eth0");
    try (LogCapture log = LogCapture.of(ReconcilingNetwork.class)) {
      c.lab.replugUnderlay(1);
      assertNotEquals(before, Lab.ifindex(ns, "eth0"));
      assertEquals(PEERS_OF_1, awaitRoutes(1, PEERS_OF_1, Duration.ofSeconds(20)));
      assertPing(1, 2);
      assertPing(2, 1);
      assertTrue(log.lines(Level.WARN, "ENODEV").size() <= 1, log.all());
    }
  }
}
