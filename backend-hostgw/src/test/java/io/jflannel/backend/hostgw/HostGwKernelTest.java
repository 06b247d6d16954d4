package io.jflannel.backend.hostgw;

import io.jflannel.backend.PeerFeed;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.NullNode;
import io.jflannel.backend.lab.BackendCluster;
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
}
