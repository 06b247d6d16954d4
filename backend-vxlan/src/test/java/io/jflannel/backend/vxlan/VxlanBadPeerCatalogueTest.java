package io.jflannel.backend.vxlan;

import io.jflannel.backend.PeerFeed;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jflannel.backend.BackendContext;
import io.jflannel.backend.Backends;
import io.jflannel.backend.InMemorySubnetManager;
import io.jflannel.backend.Network;
import io.jflannel.backend.ReconcilingNetwork;
import io.jflannel.backend.RecordingListener;
import io.jflannel.backend.lab.Prereq;
import io.jflannel.backend.lab.Sh;
import io.jflannel.backend.ExternalInterface;
import io.jflannel.netlink.NetNs;
import io.jflannel.netlink.Netlink;
import io.jflannel.subnet.IpNet;
import io.jflannel.subnet.Lease;
import io.jflannel.subnet.LeaseAttrs;
import io.jflannel.subnet.NetworkConfig;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.LoggerFactory;

/**
 * Bad peer data at the backend (docs/robustness.md, section "peer data"): each hostile lease is
 * offered next to a good one to a real vxlan network in a namespace; the bad one is logged at
 * WARN, counted by reason and never reaches the kernel, the good one is programmed. Ends with
 * 3,000 peers in one batch with bad ones mixed in.
 */
class VxlanBadPeerCatalogueTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String OWN_MAC = "2a:00:00:00:00:01";
  static String ns;
  static Netlink nl;
  static Network net;
  static RecordingListener listener;
  static ListAppender<ILoggingEvent> logs;

  @BeforeAll
  static void network() throws Exception {
    Prereq.requireRootAndCommands("ip", "bridge");
    ns = "jfl-bad-vx-" + UUID.randomUUID().toString().substring(0, 8);
    Sh.ok("ip", "netns", "add", ns);
    Sh.ip(ns, "link", "set", "lo", "up");
    Sh.ip(ns, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0p");
    Sh.ip(ns, "addr", "add", "192.0.2.1/24", "dev", "eth0");
    Sh.ip(ns, "link", "set", "eth0", "up");
    Sh.ip(ns, "link", "set", "eth0p", "up");
    NetworkConfig cfg = InMemorySubnetManager.config("10.244.0.0/16",
        new NetworkConfig.BackendConfig("vxlan", JSON.readTree("{\"Type\":\"vxlan\"}")));
    nl = Netlink.open(new NetNs(ns));
    listener = new RecordingListener();
    int ifindex = Integer.parseInt(Sh.exec(ns, "cat", "/sys/class/net/eth0/ifindex").strip());
    ExternalInterface ext = ExternalInterface.ipv4("eth0", ifindex, InetAddress.getByName("192.0.2.1"), 1500);
    LeaseAttrs previous = new LeaseAttrs(InetAddress.getByName("192.0.2.1"), null, "vxlan",
        JSON.readTree("{\"VNI\":1,\"VtepMAC\":\"" + OWN_MAC + "\"}"), null);
    InMemorySubnetManager sm = new InMemorySubnetManager(cfg, IpNet.parse("10.244.1.0/24"), previous);
    net = Backends.create("vxlan", new BackendContext(nl, ext, sm, listener, Duration.ofSeconds(600)))
        .registerNetwork(cfg);
    logs = new ListAppender<>();
    logs.start();
    ((Logger) LoggerFactory.getLogger(ReconcilingNetwork.class)).addAppender(logs);
  }

  @AfterAll
  static void cleanup() {
    if (logs != null) {
      ((Logger) LoggerFactory.getLogger(ReconcilingNetwork.class)).detachAppender(logs);
    }
    if (net != null) {
      net.close();
    }
    if (nl != null) {
      nl.close();
    }
    if (ns != null) {
      Sh.run(List.of("ip", "netns", "del", ns));
    }
  }

  static Lease lease(String subnet, String ip, String type, String backendData) throws Exception {
    JsonNode data = backendData == null ? null : JSON.readTree(backendData);
    return new Lease(IpNet.parse(subnet), null,
        new LeaseAttrs(ip == null ? null : InetAddress.getByName(ip), null, type, data, null), null);
  }

  static String vtep(String mac) {
    return "{\"VNI\":1,\"VtepMAC\":\"" + mac + "\"}";
  }

  static final Lease GOOD = uncheck(() -> lease("10.244.2.0/24", "192.0.2.2", "vxlan", vtep("2a:00:00:00:00:02")));

  interface Maker {
    Lease make() throws Exception;
  }

  static Lease uncheck(Maker m) {
    try {
      return m.make();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static Stream<Arguments> hostile() {
    return Stream.of(
        Arguments.of("P-MAC-MULTICAST", "10.244.10.0/24", "192.0.2.10", "vxlan", vtep("01:00:5e:00:00:01"), "BACKEND_DATA_INVALID"),
        Arguments.of("P-MAC-BROADCAST", "10.244.11.0/24", "192.0.2.11", "vxlan", vtep("ff:ff:ff:ff:ff:ff"), "BACKEND_DATA_INVALID"),
        Arguments.of("P-MAC-ZERO", "10.244.12.0/24", "192.0.2.12", "vxlan", vtep("00:00:00:00:00:00"), "BACKEND_DATA_INVALID"),
        Arguments.of("P-MAC-MALFORMED", "10.244.13.0/24", "192.0.2.13", "vxlan", vtep("2a:00:00:zz:00"), "BACKEND_DATA_INVALID"),
        Arguments.of("P-MAC-NOT-STRING", "10.244.14.0/24", "192.0.2.14", "vxlan", "{\"VNI\":1,\"VtepMAC\":42}", "BACKEND_DATA_INVALID"),
        Arguments.of("P-MAC-MISSING", "10.244.15.0/24", "192.0.2.15", "vxlan", "{\"VNI\":1}", "BACKEND_DATA_INVALID"),
        Arguments.of("P-DATA-NOT-OBJECT", "10.244.16.0/24", "192.0.2.16", "vxlan", "[1,2]", "BACKEND_DATA_INVALID"),
        Arguments.of("P-MAC-OURS", "10.244.17.0/24", "192.0.2.17", "vxlan", vtep(OWN_MAC), "BACKEND_DATA_INVALID"),
        Arguments.of("P-MAC-DUPLICATE", "10.244.18.0/24", "192.0.2.18", "vxlan", vtep("2a:00:00:00:00:02"), "BACKEND_DATA_INVALID"),
        Arguments.of("P-IP-UNSPECIFIED", "10.244.20.0/24", "0.0.0.0", "vxlan", vtep("2a:00:00:00:00:20"), "PUBLIC_IP_INVALID"),
        Arguments.of("P-IP-LOOPBACK", "10.244.21.0/24", "127.0.0.1", "vxlan", vtep("2a:00:00:00:00:21"), "PUBLIC_IP_INVALID"),
        Arguments.of("P-IP-MULTICAST", "10.244.22.0/24", "224.0.0.1", "vxlan", vtep("2a:00:00:00:00:22"), "PUBLIC_IP_INVALID"),
        Arguments.of("P-IP-BROADCAST", "10.244.23.0/24", "255.255.255.255", "vxlan", vtep("2a:00:00:00:00:23"), "PUBLIC_IP_INVALID"),
        Arguments.of("P-IP-OURS", "10.244.25.0/24", "192.0.2.1", "vxlan", vtep("2a:00:00:00:00:25"), "PUBLIC_IP_INVALID"),
        Arguments.of("P-IP-UNDERLAY-BROADCAST", "10.244.26.0/24", "192.0.2.255", "vxlan", vtep("2a:00:00:00:00:26"), "PUBLIC_IP_INVALID"),
        Arguments.of("P-IP-UNDERLAY-NETWORK", "10.244.27.0/24", "192.0.2.0", "vxlan", vtep("2a:00:00:00:00:27"), "PUBLIC_IP_INVALID"),
        Arguments.of("P-IP-MISSING", "10.244.24.0/24", null, "vxlan", vtep("2a:00:00:00:00:24"), "PUBLIC_IP_MISSING"),
        Arguments.of("P-SUBNET-OUTSIDE", "10.99.0.0/24", "192.0.2.30", "vxlan", vtep("2a:00:00:00:00:30"), "SUBNET_OUTSIDE_NETWORK"),
        Arguments.of("P-SUBNET-CONTAINS-NETWORK", "10.0.0.0/8", "192.0.2.31", "vxlan", vtep("2a:00:00:00:00:31"), "SUBNET_OUTSIDE_NETWORK"),
        Arguments.of("P-SUBNET-V6", "fd00::/64", "192.0.2.32", "vxlan", vtep("2a:00:00:00:00:32"), "SUBNET_OUTSIDE_NETWORK"),
        Arguments.of("P-SUBNET-OURS", "10.244.1.0/24", "192.0.2.33", "vxlan", vtep("2a:00:00:00:00:33"), "SUBNET_OVERLAPS_OWN"),
        Arguments.of("P-SUBNET-SUPERNET-OF-OURS", "10.244.0.0/23", "192.0.2.34", "vxlan", vtep("2a:00:00:00:00:34"), "SUBNET_OVERLAPS_OWN"),
        Arguments.of("P-SUBNET-OVERLAPS-PEER", "10.244.2.128/25", "192.0.2.35", "vxlan", vtep("2a:00:00:00:00:35"), "SUBNET_OVERLAPS_PEER"),
        Arguments.of("P-BACKEND-TYPE", "10.244.40.0/24", "192.0.2.40", "host-gw", "null", "BACKEND_TYPE_MISMATCH"),
        // strict reading (decision 0900): what upstream's decoder refuses is refused here too
        Arguments.of("P-BACKEND-TYPE-CASE", "10.244.41.0/24", "192.0.2.41", "VXLAN", vtep("2a:00:00:00:00:41"), "BACKEND_TYPE_MISMATCH"),
        Arguments.of("P-VNI-STRING", "10.244.42.0/24", "192.0.2.42", "vxlan", "{\"VNI\":\"1\",\"VtepMAC\":\"2a:00:00:00:00:42\"}", "BACKEND_DATA_INVALID"),
        Arguments.of("P-VNI-TOO-BIG", "10.244.43.0/24", "192.0.2.43", "vxlan", "{\"VNI\":16777216,\"VtepMAC\":\"2a:00:00:00:00:43\"}", "BACKEND_DATA_INVALID"),
        Arguments.of("P-MAC-PADDED", "10.244.44.0/24", "192.0.2.44", "vxlan", vtep(" 2a:00:00:00:00:44"), "BACKEND_DATA_INVALID"),
        Arguments.of("P-MAC-SHORT-OCTETS", "10.244.45.0/24", "192.0.2.45", "vxlan", vtep("2a:0:0:0:0:45"), "BACKEND_DATA_INVALID"),
        Arguments.of("P-DATA-KEYS-AMBIGUOUS", "10.244.46.0/24", "192.0.2.46", "vxlan",
            "{\"VNI\":1,\"VtepMAC\":\"2a:00:00:00:00:46\",\"vtepmac\":\"2a:00:00:00:00:47\"}", "BACKEND_DATA_INVALID"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("hostile")
  void hostilePeerIsSkippedWarnedCountedAndTheGoodPeerProgrammed(String id, String subnet, String ip,
      String type, String data, String reason) throws Exception {
    // The good peer is accepted first so overlap and duplicate-MAC cases have someone to clash with.
    PeerFeed.reconcile(net, List.of(GOOD));
    Lease bad = lease(subnet, ip, type, data);
    int before = listener.count("rejected." + reason);
    logs.list.clear();
    PeerFeed.reconcile(net, List.of(GOOD, bad));

    assertEquals(before + 1, listener.count("rejected." + reason), id);
    assertTrue(logs.list.stream().anyMatch(e -> e.getLevel() == ch.qos.logback.classic.Level.WARN
        && e.getFormattedMessage().contains("rejecting peer " + bad.key())
        && e.getFormattedMessage().contains(reason.toLowerCase(java.util.Locale.ROOT))), id + ": " + logs.list);
    assertEquals(1, listener.peers, id);
    String routes = Sh.ip(ns, "route", "show", "dev", "flannel.1");
    assertEquals(List.of("10.244.2.0/24 via 10.244.2.0 onlink"), lines(routes), id);
    assertEquals(1, lines(Sh.ip(ns, "neigh", "show", "dev", "flannel.1")).size(), id);
    assertEquals(1, lines(Sh.ok("bridge", "-n", ns, "fdb", "show", "dev", "flannel.1")).size(), id);
  }

  /** P-DATA-KEYS-LOWER-CASE: backend data keys in any case, as upstream's decoder and the rest of the lease. */
  @Test
  void backendDataKeysInAnyCaseAreRead() throws Exception {
    Lease lower = lease("10.244.47.0/24", "192.0.2.47", "vxlan", "{\"vni\":1,\"vtepmac\":\"2a:00:00:00:00:47\"}");
    PeerFeed.reconcile(net, List.of(GOOD, lower));
    assertEquals(2, listener.peers);
    assertTrue(Sh.ip(ns, "neigh", "show", "dev", "flannel.1").contains("10.244.47.0 lladdr 2a:00:00:00:00:47"));
    assertTrue(Sh.ok("bridge", "-n", ns, "fdb", "show", "dev", "flannel.1")
        .contains("2a:00:00:00:00:47 dst 192.0.2.47"));
    PeerFeed.reconcile(net, List.of(GOOD));
  }

  static List<String> lines(String out) {
    return out.lines().map(String::strip).filter(s -> !s.isEmpty()).toList();
  }

  /** P-BULK: 3,000 good peers and 30 bad ones in one batch. */
  @Test
  void threeThousandPeersInOneBatchAreAllProgrammedAndTheBadOnesSkipped() throws Exception {
    List<Lease> peers = new ArrayList<>();
    int good = 3000;
    // /28 subnets let 3,000 peers fit in 10.244.0.0/16 (skipping 10.244.0.0/23, ours is 10.244.1.0/24).
    for (int i = 0; i < good; i++) {
      int index = 32 + i; // /28 number inside the /16, starting at 10.244.2.0
      String subnet = "10.244." + (index / 16) + "." + (index % 16) * 16 + "/28";
      String ip = "198.18." + (i / 250) + "." + (i % 250 + 1);
      String mac = String.format("2a:01:%02x:%02x:00:01", i / 256, i % 256);
      peers.add(lease(subnet, ip, "vxlan", vtep(mac)));
    }
    int before = listener.count("rejected.BACKEND_DATA_INVALID") + listener.count("rejected.PUBLIC_IP_INVALID")
        + listener.count("rejected.SUBNET_OVERLAPS_OWN") + listener.count("rejected.SUBNET_OVERLAPS_PEER");
    for (int i = 0; i < 10; i++) {
      peers.add(i * 97, lease("10.244.250." + i * 16 + "/28", "198.19.0." + (i + 1), "vxlan", vtep("01:00:00:00:00:0" + i)));
      peers.add(i * 211, lease("10.244.251." + i * 16 + "/28", "127.0.0." + (i + 1), "vxlan", vtep("2a:02:00:00:00:0" + i)));
      peers.add(i * 5, lease("10.244.1." + i * 16 + "/28", "198.19.1." + (i + 1), "vxlan", vtep("2a:03:00:00:00:0" + i)));
    }
    long t0 = System.nanoTime();
    PeerFeed.reconcile(net, peers);
    long ms = (System.nanoTime() - t0) / 1_000_000;
    int after = listener.count("rejected.BACKEND_DATA_INVALID") + listener.count("rejected.PUBLIC_IP_INVALID")
        + listener.count("rejected.SUBNET_OVERLAPS_OWN") + listener.count("rejected.SUBNET_OVERLAPS_PEER");
    assertEquals(30, after - before);
    assertEquals(good, listener.peers);
    assertEquals(good, lines(Sh.ip(ns, "route", "show", "dev", "flannel.1")).size());
    assertEquals(good, lines(Sh.ip(ns, "neigh", "show", "dev", "flannel.1")).size());
    assertEquals(good, lines(Sh.ok("bridge", "-n", ns, "fdb", "show", "dev", "flannel.1")).size());
    String routes = Sh.ip(ns, "route", "show", "dev", "flannel.1");
    assertTrue(routes.contains("10.244.2.0/28 via 10.244.2.0 onlink"), "first peer");
    assertTrue(routes.contains("10.244.189.112/28 via 10.244.189.112 onlink"), "last peer");
    System.out.println("3,000 peers + 30 bad: reconciled in " + ms + " ms");
  }
}
