package io.jflannel.backend.udp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jflannel.backend.BackendException;
import io.jflannel.backend.PeerFeed;
import io.jflannel.backend.RejectReason;
import io.jflannel.backend.Rejection;
import io.jflannel.backend.lab.BackendCluster;
import io.jflannel.backend.lab.Prereq;
import io.jflannel.backend.lab.Sh;
import io.jflannel.subnet.IpNet;
import io.jflannel.subnet.Lease;
import io.jflannel.subnet.LeaseAttrs;
import io.jflannel.subnet.LeaseAttrsJson;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The udp backend against real namespaces (root): two or three nodes, each with a pod. */
class UdpKernelTest {
  static final String UDP = "{\"Type\":\"udp\"}";
  BackendCluster c;

  @BeforeEach
  void prereq() {
    Prereq.requireRootAndCommands("ip", "ping", "tcpdump");
  }

  @AfterEach
  void tearDown() {
    if (c != null) {
      c.close();
    }
  }

  UdpNetwork net(int n) {
    return (UdpNetwork) c.net(n);
  }

  PacketForwarder forwarder(int n) {
    return net(n).dataplane().forwarder();
  }

  void assertPing(int from, int to) {
    boolean ok = false;
    for (int i = 0; i < 3 && !ok; i++) {
      ok = c.lab.ping(c.lab.node(from), c.lab.node(to).podIp());
    }
    assertTrue(ok, "pod " + from + " -> pod " + to + " over udp");
  }

  /** Runs ping -f from a pod and returns its summary's packet-loss percentage. */
  String floodLoss(int from, int to, int count) {
    String out = Sh.exec(c.lab.node(from).pod(), "ping", "-f", "-c", Integer.toString(count), "-W", "2",
        c.lab.node(to).podIp());
    Matcher m = Pattern.compile("(\\d+) packets transmitted, (\\d+) received.*?([\\d.]+)% packet loss").matcher(out);
    assertTrue(m.find(), out);
    assertEquals(Integer.toString(count), m.group(1), out);
    return m.group(3);
  }

  @Test
  void deviceAddressMtuRouteAndUpstreamLease() throws Exception {
    c = BackendCluster.start(2, false, UDP);
    String ns = c.lab.node(1).ns();
    String link = Sh.ip(ns, "-d", "link", "show", "dev", "flannel0");
    assertTrue(link.contains("mtu 1472"), link);
    assertTrue(link.contains("tun type tun pi off"), link); // IFF_TUN | IFF_NO_PI
    assertTrue(link.contains("UP"), link);
    assertEquals("10.244.1.0/32", Sh.ip(ns, "-o", "-4", "addr", "show", "dev", "flannel0").split("\\s+")[3]);
    String routes = Sh.ip(ns, "route", "show", "dev", "flannel0").strip();
    assertEquals("10.244.0.0/16", routes.split("\\s+")[0], routes);
    assertEquals(1, routes.lines().count(), routes);
    assertEquals(1472, c.net(1).mtu());
    // The lease as upstream's udp backend publishes it: the address, no type, no data.
    assertEquals("{\"PublicIP\":\"192.0.2.1\",\"PublicIPv6\":null}", LeaseAttrsJson.write(c.subnets.get(0).published()));
    // Listening on the interface address and the default port.
    String sockets = Sh.exec(ns, "ss", "-uln");
    assertTrue(sockets.contains("192.0.2.1:8285"), sockets);
  }

  @Test
  void podsTalkThroughFlannel0AndUdpAndAFloodLosesNothing() throws Exception {
    c = BackendCluster.start(3, true, UDP);
    c.reconcileAll();
    assertPing(1, 2);
    assertPing(2, 3);
    assertPing(3, 1);
    assertEquals("0", floodLoss(1, 2, 2000));
    assertEquals("0", floodLoss(3, 2, 2000));
    assertTrue(forwarder(1).sent() >= 2000, "sent " + forwarder(1).sent());
    assertTrue(forwarder(2).received() >= 4000, "received " + forwarder(2).received());
  }

  /** The underlay carries the pods' packets as UDP datagrams to port 8285. */
  @Test
  void theUnderlayCarriesUdpToPort8285() throws Exception {
    c = BackendCluster.start(2, true, UDP);
    c.reconcileAll();
    assertPing(1, 2);
    String ns = c.lab.node(2).ns();
    Process dump = new ProcessBuilder("ip", "netns", "exec", ns, "tcpdump", "-n", "-l", "-c", "4", "-i", "eth0",
        "udp").redirectErrorStream(true).start();
    try {
      Thread.sleep(1000); // tcpdump attaches; what follows is not timed, the capture waits for 4 packets
      Sh.exec(c.lab.node(1).pod(), "ping", "-c", "4", "-i", "0.2", c.lab.node(2).podIp());
      assertTrue(dump.waitFor(20, java.util.concurrent.TimeUnit.SECONDS), "tcpdump saw fewer than 4 packets");
      String out = new String(dump.getInputStream().readAllBytes());
      assertTrue(out.contains("192.0.2.1.") && out.contains("> 192.0.2.2.8285: UDP"), out);
      assertTrue(out.contains("192.0.2.2.8285 > 192.0.2.1.8285: UDP"), out);
    } finally {
      dump.destroyForcibly();
      dump.waitFor();
    }
  }

  @Test
  void unknownDestinationsAreDroppedCountedAndAnsweredNetUnreachable() throws Exception {
    c = BackendCluster.start(2, true, UDP);
    c.reconcileAll();
    long before = forwarder(1).drops(PacketForwarder.Drop.NO_ROUTE).getAsLong();
    assertEquals(0, before);
    var r = Sh.tryExec(c.lab.node(1).pod(), "ping", "-c", "3", "-i", "0.2", "-W", "1", "10.244.9.2");
    assertNotEquals(0, r.exit());
    assertEquals(3, forwarder(1).drops(PacketForwarder.Drop.NO_ROUTE).getAsLong());
    // A UDP datagram gets an ICMP network unreachable back from flannel0 (ping's ICMP gets none, as upstream's)
    Process dump = new ProcessBuilder("ip", "netns", "exec", c.lab.node(1).ns(), "tcpdump", "-n", "-l", "-c", "2",
        "-i", "flannel0").redirectErrorStream(true).start();
    try {
      Thread.sleep(1000); // tcpdump attaches; the capture itself waits for its 2 packets
      Sh.exec(c.lab.node(1).pod(), "bash", "-c", "echo hello > /dev/udp/10.244.9.3/53");
      assertTrue(dump.waitFor(20, java.util.concurrent.TimeUnit.SECONDS), "tcpdump saw fewer than 2 packets");
      String out = new String(dump.getInputStream().readAllBytes());
      assertTrue(out.contains("10.244.1.0 > 10.244.1.2: ICMP net 10.244.9.3 unreachable"), out);
    } finally {
      dump.destroyForcibly();
      dump.waitFor();
    }
    assertEquals(4, forwarder(1).drops(PacketForwarder.Drop.NO_ROUTE).getAsLong());
    assertEquals(0, forwarder(1).drops(PacketForwarder.Drop.SEND_ERROR).getAsLong());
  }

  /** A datagram to the port that holds no IPv4 packet is dropped and counted; the pods keep talking. */
  @Test
  void aGarbageDatagramIsDroppedAndCounted() throws Exception {
    c = BackendCluster.start(2, true, UDP);
    c.reconcileAll();
    assertEquals(0, forwarder(2).drops(PacketForwarder.Drop.MALFORMED).getAsLong());
    Sh.exec(c.lab.node(1).ns(), "bash", "-c", "echo not-a-packet > /dev/udp/192.0.2.2/8285");
    Sh.exec(c.lab.node(1).ns(), "bash", "-c", "printf 'E\\x00\\x00\\x14' > /dev/udp/192.0.2.2/8285"); // a header cut short
    for (int i = 0; i < 100 && forwarder(2).drops(PacketForwarder.Drop.MALFORMED).getAsLong() < 2; i++) {
      Thread.sleep(20); // the datagrams are in flight on the veth; nothing here is timed
    }
    assertEquals(2, forwarder(2).drops(PacketForwarder.Drop.MALFORMED).getAsLong());
    assertPing(1, 2);
  }

  @Test
  void peersAddedAndRemovedChangeTheForwardingTable() throws Exception {
    c = BackendCluster.start(3, true, UDP);
    c.reconcileAll();
    assertPing(1, 2);
    PeerFeed.reconcile(c.net(1), List.of(c.lease(3)));
    assertEquals(1, forwarder(1).table().size());
    long drops = forwarder(1).drops(PacketForwarder.Drop.NO_ROUTE).getAsLong();
    assertFalse(c.lab.ping(c.lab.node(1), c.lab.node(2).podIp()));
    assertTrue(forwarder(1).drops(PacketForwarder.Drop.NO_ROUTE).getAsLong() > drops);
    assertPing(1, 3);
    PeerFeed.reconcile(c.net(1), List.of(c.lease(2), c.lease(3)));
    assertEquals(2, forwarder(1).table().size());
    assertPing(1, 2);
    // Moving a peer to another address moves its packets: node 2's lease now points at node 3.
    Lease moved = new Lease(c.lease(2).subnet(), null, new LeaseAttrs(InetAddress.getByName("192.0.2.3"), null, "",
        null, null), null);
    PeerFeed.reconcile(c.net(1), List.of(moved));
    assertEquals("192.0.2.3", forwarder(1).table().lookup(PeerTable.toInt(new byte[] {10, (byte) 244, 2, 2}))
        .getAddress().getHostAddress());
  }

  /** A lease of another backend (vxlan, host-gw) is refused with the reason, as every backend refuses it. */
  @Test
  void mixedBackendPeersAreRefused() throws Exception {
    c = BackendCluster.start(3, false, UDP);
    Lease vxlan = new Lease(IpNet.parse("10.244.2.0/24"), null, new LeaseAttrs(InetAddress.getByName("192.0.2.2"), null,
        "vxlan", BackendCluster.JSON.readTree("{\"VNI\":1,\"VtepMAC\":\"2a:95:ed:10:e4:56\"}"), null), null);
    Lease hostGw = new Lease(IpNet.parse("10.244.3.0/24"), null, new LeaseAttrs(InetAddress.getByName("192.0.2.3"),
        null, "host-gw", null, null), null);
    PeerFeed.reconcile(c.net(1), List.of(vxlan, hostGw));
    Map<String, Rejection> rejected = net(1).reconciler().rejectedPeers();
    assertEquals(RejectReason.BACKEND_TYPE_MISMATCH, rejected.get(vxlan.key()).reason());
    assertEquals("backend type \"vxlan\" differs from ours (\"\")", rejected.get(vxlan.key()).detail());
    assertEquals("backend type \"host-gw\" differs from ours (\"\")", rejected.get(hostGw.key()).detail());
    assertEquals(0, forwarder(1).table().size());
  }

  /** Upstream reads no udp backend data: whatever a peer publishes there is ignored. */
  @Test
  void aPeersBackendDataIsNotRead() throws Exception {
    c = BackendCluster.start(2, true, UDP);
    Lease odd = new Lease(c.lease(2).subnet(), null, new LeaseAttrs(InetAddress.getByName("192.0.2.2"), null, "",
        BackendCluster.JSON.readTree("{\"Port\":\"not a port\",\"x\":[1]}"), null), null);
    PeerFeed.reconcile(c.net(1), List.of(odd));
    PeerFeed.reconcile(c.net(2), List.of(c.lease(1)));
    assertTrue(net(1).reconciler().rejectedPeers().isEmpty());
    assertPing(1, 2);
  }

  @Test
  void aDeletedDeviceIsCreatedAgainWithItsRouteAndTrafficResumes() throws Exception {
    c = BackendCluster.start(2, true, UDP);
    c.reconcileAll();
    c.startAll();
    assertPing(1, 2);
    String ns = c.lab.node(1).ns();
    Sh.ip(ns, "link", "del", "flannel0");
    String routes = "";
    for (int i = 0; i < 100 && !routes.startsWith("10.244.0.0/16"); i++) {
      Thread.sleep(50);
      routes = Sh.tryExec(ns, "ip", "route", "show", "dev", "flannel0").out().strip();
    }
    assertTrue(routes.startsWith("10.244.0.0/16"), "route not restored: " + routes);
    assertPing(1, 2);
    // The route alone, deleted, comes back too.
    Sh.ip(ns, "route", "del", "10.244.0.0/16", "dev", "flannel0");
    routes = "";
    for (int i = 0; i < 100 && !routes.startsWith("10.244.0.0/16"); i++) {
      Thread.sleep(50);
      routes = Sh.tryExec(ns, "ip", "route", "show", "dev", "flannel0").out().strip();
    }
    assertTrue(routes.startsWith("10.244.0.0/16"), "route not restored: " + routes);
    assertPing(1, 2);
  }

  /** The packet loop allocates nothing per packet: a flood of 5000 costs less than a byte each. */
  @Test
  void thePacketLoopDoesNotAllocatePerPacket() throws Exception {
    c = BackendCluster.start(2, true, UDP);
    c.reconcileAll();
    assertEquals("0", floodLoss(1, 2, 500)); // warm-up: class loading, JIT, caches
    var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long out = forwarder(1).outboundThread().getId();
    long in = forwarder(1).inboundThread().getId();
    long outBefore = mx.getThreadAllocatedBytes(out);
    long inBefore = mx.getThreadAllocatedBytes(in);
    assertEquals("0", floodLoss(1, 2, 5000));
    long outBytes = mx.getThreadAllocatedBytes(out) - outBefore;
    long inBytes = mx.getThreadAllocatedBytes(in) - inBefore;
    assertTrue(outBytes < 5000, "the TUN->UDP thread allocated " + outBytes + " bytes for 5000 packets");
    assertTrue(inBytes < 5000, "the UDP->TUN thread allocated " + inBytes + " bytes for 5000 replies");
  }

  @Test
  void aTakenPortFailsTheSetUpNamingIt() throws Exception {
    c = BackendCluster.start(1, false, "{\"Type\":\"udp\",\"Port\":8286}");
    c.net(1).close(); // gives the device and the port back
    try (var blocker = io.jflannel.netlink.socket.NetnsThread.call(c.lab.node(1).netns(), () -> {
      try {
        return java.nio.channels.DatagramChannel.open().bind(new java.net.InetSocketAddress("192.0.2.1", 8286));
      } catch (java.io.IOException e) {
        throw new AssertionError(e);
      }
    })) {
      var e = org.junit.jupiter.api.Assertions.assertThrows(BackendException.class, () -> c.register(1, null));
      assertEquals("udp backend: cannot listen on UDP 192.0.2.1:8286: Address already in use", e.getMessage());
      // the device made before the failure went with it
      assertNotEquals(0, Sh.tryExec(c.lab.node(1).ns(), "ip", "link", "show", "dev", "flannel0").exit());
    }
  }
}
