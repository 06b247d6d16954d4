package io.jflannel.subnet.kube;

import static io.jflannel.subnet.kube.MockCluster.P;
import static io.jflannel.subnet.kube.MockCluster.vxlanPeer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.jflannel.subnet.IpNet;
import io.jflannel.subnet.LeaseEvent;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PeerTrackerTest {

  private final TrackerOfViews tracker =
      new TrackerOfViews("self", new PeerReader(AnnotationKeys.defaults(), true, false));

  private static NodeView peer(String name, String cidr, String ip, String mac) {
    return new NodeView(name, List.of(cidr), vxlanPeer(ip, mac));
  }

  @Test
  void resyncListsEveryPeerExceptSelfAndNonPeers() {
    List<LeaseEvent> ev = tracker.resync(List.of(
        peer("self", "10.244.0.0/24", "192.0.2.1", "m0"),
        peer("a", "10.244.1.0/24", "192.0.2.2", "m1"),
        new NodeView("plain", List.of("10.244.2.0/24"), Map.of())));
    assertEquals(1, ev.size());
    assertEquals(IpNet.parse("10.244.1.0/24"), assertInstanceOf(LeaseEvent.Added.class, ev.get(0))
        .lease().subnet());
    assertEquals(1, tracker.size());
  }

  @Test
  void unchangedNodeYieldsNothingAndChangedAttrsYieldAdded() {
    tracker.update("a", peer("a", "10.244.1.0/24", "192.0.2.2", "m1"));
    assertEquals(List.of(), tracker.update("a", peer("a", "10.244.1.0/24", "192.0.2.2", "m1")));
    List<LeaseEvent> ev = tracker.update("a", peer("a", "10.244.1.0/24", "192.0.2.2", "m2"));
    assertEquals(1, ev.size());
    assertEquals("m2", assertInstanceOf(LeaseEvent.Added.class, ev.get(0))
        .lease().attrs().backendData().get("VtepMAC").asText());
  }

  @Test
  void subnetChangeRemovesOldThenAddsNew() {
    tracker.update("a", peer("a", "10.244.1.0/24", "192.0.2.2", "m1"));
    List<LeaseEvent> ev = tracker.update("a", peer("a", "10.244.8.0/24", "192.0.2.2", "m1"));
    assertEquals(IpNet.parse("10.244.1.0/24"),
        assertInstanceOf(LeaseEvent.Removed.class, ev.get(0)).lease().subnet());
    assertEquals(IpNet.parse("10.244.8.0/24"),
        assertInstanceOf(LeaseEvent.Added.class, ev.get(1)).lease().subnet());
  }

  @Test
  void deletionUsesLastKnownLease() {
    tracker.update("a", peer("a", "10.244.1.0/24", "192.0.2.2", "m1"));
    tracker.update("a", peer("a", "10.244.1.0/24", "192.0.2.2", "m9"));
    List<LeaseEvent> ev = tracker.update("a", null);
    assertEquals("m9", assertInstanceOf(LeaseEvent.Removed.class, ev.get(0))
        .lease().attrs().backendData().get("VtepMAC").asText());
    assertEquals(List.of(), tracker.update("a", null), "a second delete notice is harmless");
  }

  @Test
  void peerTurningMalformedIsWithdrawnAndCounted() {
    tracker.update("a", peer("a", "10.244.1.0/24", "192.0.2.2", "m1"));
    Map<String, String> broken = new HashMap<>(vxlanPeer("192.0.2.2", "m1"));
    broken.put(P + "backend-data", "{oops");
    List<LeaseEvent> ev = tracker.update("a", new NodeView("a", List.of("10.244.1.0/24"), broken));
    assertInstanceOf(LeaseEvent.Removed.class, ev.get(0));
    assertEquals(1, tracker.rejected());
    assertEquals(0, tracker.size());
  }

  @Test
  void peerLosingFlannelAnnotationIsRemoved() {
    tracker.update("a", peer("a", "10.244.1.0/24", "192.0.2.2", "m1"));
    List<LeaseEvent> ev = tracker.update("a", new NodeView("a", List.of("10.244.1.0/24"), Map.of()));
    assertInstanceOf(LeaseEvent.Removed.class, ev.get(0));
    assertEquals(0, tracker.rejected(), "not malformed, just not a peer");
  }

  @Test
  void resyncRemovesPeersThatAreGoneOnce() {
    tracker.update("a", peer("a", "10.244.1.0/24", "192.0.2.2", "m1"));
    List<LeaseEvent> ev = tracker.resync(List.of());
    assertEquals(1, ev.size());
    assertEquals(IpNet.parse("10.244.1.0/24"), assertInstanceOf(LeaseEvent.Removed.class, ev.get(0)).lease().subnet());
    assertEquals(List.of(), tracker.update("a", null), "already removed");
  }

  @Test
  void aSecondNodeWithTheSameSubnetIsRefusedCountedAndItsDeletionTouchesNothing() {
    tracker.update("a", peer("a", "10.244.1.0/24", "192.0.2.2", "m1"));
    assertEquals(List.of(), tracker.update("evil", peer("evil", "10.244.1.0/24", "192.0.2.66", "m6")));
    assertEquals(1, tracker.rejected());
    assertEquals(List.of(), tracker.update("evil", peer("evil", "10.244.1.0/24", "192.0.2.66", "m6")));
    assertEquals(1, tracker.rejected(), "the same refusal is counted once");
    assertEquals(List.of(), tracker.update("evil", null), "the duplicate's deletion removes nothing");
    assertEquals(1, tracker.size());
  }

  @Test
  void aNodeClaimingTheOwnSubnetIsRefusedAndCounted() {
    tracker.own(IpNet.parse("10.244.0.0/24").toKey());
    assertEquals(List.of(), tracker.update("evil", peer("evil", "10.244.0.0/24", "192.0.2.66", "m6")));
    assertEquals(1, tracker.rejected());
    assertEquals(0, tracker.size());
  }

  @Test
  void aListingGivesADuplicatedSubnetToTheFirstNodeByName() {
    List<LeaseEvent> ev = tracker.resync(List.of(
        peer("zeta", "10.244.1.0/24", "192.0.2.9", "m9"),
        peer("alpha", "10.244.1.0/24", "192.0.2.2", "m1")));
    assertEquals(1, ev.size());
    assertEquals("192.0.2.2", ev.get(0).lease().attrs().publicIp().getHostAddress());
    assertEquals(1, tracker.rejected());
  }
}
