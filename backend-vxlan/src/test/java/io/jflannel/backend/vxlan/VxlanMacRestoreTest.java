package io.jflannel.backend.vxlan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.jflannel.backend.BackendContext;
import io.jflannel.backend.Backends;
import io.jflannel.backend.ExternalInterface;
import io.jflannel.backend.InMemorySubnetManager;
import io.jflannel.backend.Network;
import io.jflannel.backend.PeerFeed;
import io.jflannel.backend.RecordingListener;
import io.jflannel.backend.lab.Prereq;
import io.jflannel.backend.lab.Sh;
import io.jflannel.netlink.MacAddress;
import io.jflannel.netlink.NetNs;
import io.jflannel.netlink.Netlink;
import io.jflannel.subnet.IpNet;
import io.jflannel.subnet.Lease;
import io.jflannel.subnet.LeaseAttrs;
import io.jflannel.subnet.NetworkConfig;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A restart whose kept backend-data names a VTEP MAC a current peer advertises (a Node manifest
 * copied from another node, issue 18 item 11c): the MAC is not adopted, a new one is published,
 * and the peer that owns it is programmed, not rejected as carrying our own MAC.
 */
class VxlanMacRestoreTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String PEER_MAC = "2a:00:00:00:00:0b";

  String ns;
  Netlink nl;
  Network net;
  InMemorySubnetManager sm;

  @BeforeEach
  void namespace() throws Exception {
    Prereq.requireRootAndCommands("ip", "bridge");
    ns = "jfl-vxmac-" + UUID.randomUUID().toString().substring(0, 8);
    Sh.ok("ip", "netns", "add", ns);
    Sh.ip(ns, "link", "set", "lo", "up");
    Sh.ip(ns, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0p");
    Sh.ip(ns, "addr", "add", "192.0.2.1/24", "dev", "eth0");
    Sh.ip(ns, "link", "set", "eth0", "up");
    Sh.ip(ns, "link", "set", "eth0p", "up");
    nl = Netlink.open(new NetNs(ns));
  }

  @AfterEach
  void cleanup() {
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

  static LeaseAttrs vxlan(String ip, String mac) throws Exception {
    return new LeaseAttrs(InetAddress.getByName(ip), null, "vxlan",
        JSON.readTree("{\"VNI\":1,\"VtepMAC\":\"" + mac + "\"}"), null);
  }

  void register(LeaseAttrs previous, Map<String, LeaseAttrs> peers) throws Exception {
    NetworkConfig cfg = InMemorySubnetManager.config("10.244.0.0/16",
        new NetworkConfig.BackendConfig("vxlan", JSON.readTree("{\"Type\":\"vxlan\"}")));
    sm = new InMemorySubnetManager(cfg, IpNet.parse("10.244.1.0/24"), previous);
    sm.advertisedPeers(peers);
    int ifindex = Integer.parseInt(Sh.exec(ns, "cat", "/sys/class/net/eth0/ifindex").strip());
    ExternalInterface ext = ExternalInterface.ipv4("eth0", ifindex, InetAddress.getByName("192.0.2.1"), 1500);
    net = Backends.create("vxlan", new BackendContext(nl, ext, sm, new RecordingListener(), Duration.ofSeconds(600)))
        .registerNetwork(cfg);
  }

  MacAddress published() {
    return VtepData.vtepMac(sm.published().backendData());
  }

  String deviceMac() {
    String link = Sh.ip(ns, "link", "show", "dev", "flannel.1");
    int i = link.indexOf("link/ether ");
    return link.substring(i + 11, i + 28);
  }

  @Test
  void aKeptMacThatAPeerAdvertisesIsNotAdoptedAndAnotherIsPublished() throws Exception {
    LeaseAttrs peer = vxlan("192.0.2.2", PEER_MAC);
    register(vxlan("192.0.2.1", PEER_MAC), Map.of("node-b", peer));
    assertNotEquals(PEER_MAC, published().toString(), "adopted node-b's MAC");
    assertEquals(published().toString(), deviceMac(), "the device carries the published MAC");
    assertTrue(published().isLocallyAdministered() && published().isUnicast());

    // node-b keeps working: programmed, not rejected as "our own MAC"
    PeerFeed.reconcile(net, List.of(new Lease(IpNet.parse("10.244.2.0/24"), null, peer, null)));
    String neigh = Sh.ip(ns, "neigh", "show", "dev", "flannel.1");
    assertTrue(neigh.contains("10.244.2.0 lladdr " + PEER_MAC + " PERMANENT"), neigh);
  }

  @Test
  void aKeptMacNoPeerAdvertisesIsRestored() throws Exception {
    register(vxlan("192.0.2.1", PEER_MAC), Map.of("node-c", vxlan("192.0.2.3", "2a:00:00:00:00:0c")));
    assertEquals(PEER_MAC, published().toString());
    assertEquals(PEER_MAC, deviceMac());
  }
}
