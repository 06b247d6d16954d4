package io.jflannel.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Pure pieces of the lab: naming, CIDRs, ping parsing, the matrix, expected peer state. */
class LabValuesTest {
  private static LabSpec spec(String name, int nodes) {
    return LabSpec.of(name, nodes, LabBackend.VXLAN, LabStoreKind.ETCD, Path.of("/x/flanneld"), "");
  }

  @Test
  void namesFollowTheLabPrefix() {
    LabSpec s = spec("jfl-lab", 3);
    assertEquals("jfl-lab-sw", s.switchNetns());
    assertEquals("jfl-lab-n2", s.nodeNetns(2));
    assertEquals("jfl-lab-n2-p1", s.podNetns(2, 1));
    assertEquals("{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}", s.netConfJson());
  }

  @Test
  void specRejectsBadInput() {
    assertThrows(IllegalArgumentException.class, () -> spec("jfl-lab", 0));
    assertThrows(IllegalArgumentException.class, () -> spec("Bad Name", 3));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> LabBackend.parse("ipip"));
    assertTrue(e.getMessage().contains("ipip") && e.getMessage().contains("host-gw"));
    assertEquals(LabBackend.HOST_GW, LabBackend.parse("host-gw"));
    assertEquals(LabStoreKind.KUBE, LabStoreKind.parse("kube"));
    assertThrows(IllegalArgumentException.class, () -> LabStoreKind.parse("consul"));
  }

  @Test
  void anImageStaysWithTheSpecThroughItsVariants() {
    LabSpec s = spec("jfl-lab", 3);
    assertFalse(s.fromImage());
    LabSpec i = s.withImage("localhost/jflannel:dev").withStateDir(Path.of("/tmp/s")).withPodsPerNode(1);
    assertTrue(i.fromImage());
    assertEquals("localhost/jflannel:dev", i.image());
    assertThrows(IllegalArgumentException.class, () -> s.withImage(" "));
  }

  @Test
  void aNodesFilesSitUnderItsDirectoryAtTheirPathsOnANode() {
    LabNode n = new LabNode(2, "jfl-lab-n2", "192.0.2.2", Path.of("/tmp/lab/n2"));
    assertEquals(Path.of("/tmp/lab/n2/run/flannel/subnet.env"), n.subnetFile());
    assertEquals(Path.of("/tmp/lab/n2/etc/cni/net.d"), n.hostPath("/etc/cni/net.d"));
    assertThrows(IllegalArgumentException.class, () -> n.hostPath("etc/cni"));
  }

  @Test
  void stateRecordsTheContainersOfTheLabsDaemons() throws Exception {
    Path dir = java.nio.file.Files.createTempDirectory("jfl-state-");
    try {
      LabState state = LabState.create(dir, "jfl-x", dir);
      state.addContainer("80bcd1ad6be3");
      state.addContainer("6afedd9090fb");
      state.removeContainer("80bcd1ad6be3");
      assertEquals(List.of("6afedd9090fb"), LabState.load(state.file()).orElseThrow().containers());
      // A state file from before containers were recorded still loads.
      java.nio.file.Files.writeString(state.file(),
          "{\"lab\":\"jfl-x\",\"ownerPid\":1,\"workDir\":\"/tmp/x\",\"processes\":[],\"namespaces\":[]}");
      assertEquals(null, LabState.load(state.file()).orElseThrow().containers());
      state.delete();
    } finally {
      java.nio.file.Files.deleteIfExists(dir);
    }
  }

  @Test
  void podCidrIsTheIndexthSlash24() {
    assertEquals("10.244.1.0/24", KubeStore.podCidr("10.244.0.0/16", 1));
    assertEquals("10.244.17.0/24", KubeStore.podCidr("10.244.0.0/16", 17));
    assertThrows(LabException.class, () -> KubeStore.podCidr("10.244.0.0/23", 2));
  }

  @Test
  void underlayAddresses() {
    assertEquals("192.0.2.7", Underlay.nodeIp(7));
    assertThrows(LabException.class, () -> Underlay.nodeIp(254));
  }

  @Test
  void etcdLeaseKeyUsesDashForSlash() {
    assertEquals("/coreos.com/network/subnets/10.244.3.0-24", EtcdStore.leaseKey("10.244.3.0/24"));
  }

  @Test
  void parsesPingStatistics() {
    var s = Reachability.parseStats("""
        --- 10.244.2.3 ping statistics ---
        100 packets transmitted, 97 received, 3% packet loss, time 9912ms
        """);
    assertEquals(100, s.sent());
    assertEquals(3, s.lost());
    assertThrows(LabException.class, () -> Reachability.parseStats("ping: unknown host"));
  }

  @Test
  void cniResultAddressIsTheFirstIpv4() {
    assertEquals("10.244.1.2", CniAttacher.addressOf("""
        {"cniVersion":"0.3.1","ips":[{"version":"6","address":"fc00::2/64"},
         {"version":"4","interface":2,"address":"10.244.1.2/24","gateway":"10.244.1.1"}]}
        """, "p"));
    assertThrows(LabException.class, () -> CniAttacher.addressOf("{\"ips\":[]}", "p"));
  }

  @Test
  void matrixReportsAndRendersFailures() {
    List<Pod> pods = List.of(new Pod("n1-p1", "a", 1, "10.244.1.2"),
        new Pod("n2-p1", "b", 2, "10.244.2.2"));
    ReachabilityMatrix m = new ReachabilityMatrix(pods, new boolean[][] {{true, true}, {false, true}});
    assertFalse(m.allReachable());
    assertEquals(List.of("n2-p1 (10.244.2.2) -> n1-p1 (10.244.1.2)"), m.failures());
    String grid = m.render();
    assertTrue(grid.matches("(?s).*\\nn2-p1 +-- .*"), grid);
    assertTrue(grid.contains("1/2 pairs reachable"), grid);
  }

  @Test
  void expectedVxlanStateHasRouteNeighbourAndFdbPerPeer() {
    PeerDataplane want = PeerDataplane.expected(LabBackend.VXLAN, List.of(
        new PeerDataplane.Peer("10.244.2.0/24", "192.0.2.2", Optional.of("AA:BB:CC:00:00:02"))));
    assertEquals(java.util.Set.of("10.244.2.0/24 via 10.244.2.0"), want.routes());
    assertEquals(java.util.Set.of("10.244.2.0 aa:bb:cc:00:00:02"), want.neighbours());
    assertEquals(java.util.Set.of("aa:bb:cc:00:00:02 192.0.2.2"), want.fdb());
  }

  @Test
  void expectedHostGwStateIsOneRoutePerPeerAndDiffNamesStaleEntries() {
    PeerDataplane want = PeerDataplane.expected(LabBackend.HOST_GW, List.of(
        new PeerDataplane.Peer("10.244.2.0/24", "192.0.2.2", Optional.empty())));
    assertEquals(java.util.Set.of("10.244.2.0/24 via 192.0.2.2"), want.routes());
    PeerDataplane have = new PeerDataplane(java.util.Set.of("10.244.3.0/24 via 192.0.2.3"),
        java.util.Set.of(), java.util.Set.of());
    String diff = have.diff(want);
    assertTrue(diff.contains("missing route 10.244.2.0/24 via 192.0.2.2"), diff);
    assertTrue(diff.contains("stale route 10.244.3.0/24 via 192.0.2.3"), diff);
    assertEquals("", want.diff(want));
  }

  @Test
  void allocAndExtensionAreSelectable() {
    assertEquals(LabBackend.ALLOC, LabBackend.parse("alloc"));
    assertEquals(LabBackend.EXTENSION, LabBackend.parse("Extension"));
    LabSpec ext = LabSpec.of("jfl-lab", 2, LabBackend.EXTENSION, LabStoreKind.ETCD, Path.of("/x/flanneld"), "");
    assertEquals("{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"extension\","
        + "\"SubnetAddCommand\":\"ip route replace $SUBNET via $PUBLIC_IP\","
        + "\"SubnetRemoveCommand\":\"ip route del $SUBNET via $PUBLIC_IP\"}}", ext.netConfJson());
    assertFalse(LabBackend.ALLOC.carriesPodTraffic());
    assertTrue(LabBackend.EXTENSION.carriesPodTraffic());
  }

  @Test
  void expectedStateIsARoutePerPeerForExtensionAndNothingForAlloc() {
    List<PeerDataplane.Peer> peers = List.of(new PeerDataplane.Peer("10.244.2.0/24", "192.0.2.2", Optional.empty()));
    assertEquals(java.util.Set.of("10.244.2.0/24 via 192.0.2.2"), PeerDataplane.expected(LabBackend.EXTENSION, peers)
        .routes());
    PeerDataplane alloc = PeerDataplane.expected(LabBackend.ALLOC, peers);
    assertTrue(alloc.routes().isEmpty() && alloc.neighbours().isEmpty() && alloc.fdb().isEmpty());
  }

  @Test
  void udpIsSelectableAndHoldsNothingPerPeer() {
    assertEquals(LabBackend.UDP, LabBackend.parse("UDP"));
    LabSpec udp = LabSpec.of("jfl-lab", 2, LabBackend.UDP, LabStoreKind.ETCD, Path.of("/x/flanneld"), "");
    assertEquals("{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"udp\"}}", udp.netConfJson());
    List<PeerDataplane.Peer> peers = List.of(new PeerDataplane.Peer("10.244.2.0/24", "192.0.2.2", Optional.empty()));
    PeerDataplane want = PeerDataplane.expected(LabBackend.UDP, peers);
    assertTrue(want.routes().isEmpty() && want.neighbours().isEmpty() && want.fdb().isEmpty());
  }
}
