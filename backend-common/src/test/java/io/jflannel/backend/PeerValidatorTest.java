package io.jflannel.backend;

import static io.jflannel.backend.Leases.vxlan;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jflannel.subnet.IpNet;
import io.jflannel.subnet.Lease;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PeerValidatorTest {
  private final PeerValidator v = new PeerValidator(IpNet.parse("10.244.0.0/16"), IpNet.parse("10.244.1.0/24"),
      "vxlan", new TestDataplane(null, IpNet.parse("10.244.0.0/16")).peerCheck(),
      l -> "VTEP MAC " + l.attrs().backendData().path("VtepMAC").asText());

  private RejectReason reasonFor(Lease bad) {
    Lease good = vxlan("10.244.2.0/24", "192.0.2.2", "2a:00:00:00:00:02");
    FullValidation.Outcome o = FullValidation.validate(v, List.of(good, bad), Set.of());
    assertEquals(List.of(good), List.copyOf(o.accepted().values()), "the good peer is still accepted");
    assertEquals(Set.of(bad.key()), o.rejected().keySet());
    return o.rejected().get(bad.key()).reason();
  }

  @Test
  void acceptsOrdinaryPeers() {
    Lease a = vxlan("10.244.2.0/24", "192.0.2.2", "2a:00:00:00:00:02");
    Lease b = vxlan("10.244.3.0/24", "192.0.2.3", "2a:00:00:00:00:03");
    FullValidation.Outcome o = FullValidation.validate(v, List.of(b, a), Set.of());
    assertEquals(List.of(a, b), List.copyOf(o.accepted().values()));
    assertTrue(o.rejected().isEmpty());
  }

  @Test
  void rejectsSubnetEqualToOurs() {
    assertEquals(RejectReason.SUBNET_OVERLAPS_OWN, reasonFor(vxlan("10.244.1.0/24", "192.0.2.9", "2a:00:00:00:00:09")));
  }

  @Test
  void rejectsSubnetContainingOurs() {
    assertEquals(RejectReason.SUBNET_OVERLAPS_OWN, reasonFor(vxlan("10.244.0.0/23", "192.0.2.9", "2a:00:00:00:00:09")));
  }

  @Test
  void rejectsSubnetOutsideNetwork() {
    assertEquals(RejectReason.SUBNET_OUTSIDE_NETWORK, reasonFor(vxlan("10.9.0.0/24", "192.0.2.9", "2a:00:00:00:00:09")));
    assertEquals(RejectReason.SUBNET_OUTSIDE_NETWORK, reasonFor(vxlan("10.0.0.0/8", "192.0.2.9", "2a:00:00:00:00:09")));
  }

  /** Upstream compares the type exactly ({@code attrs.BackendType != "vxlan"}); so do we (decision 0900). */
  @Test
  void backendTypeIsComparedExactly() {
    for (String type : List.of("VXLAN", "Vxlan", "vxlan ", "host-gw")) {
      assertEquals(RejectReason.BACKEND_TYPE_MISMATCH,
          reasonFor(Leases.lease("10.244.9.0/24", "192.0.2.9", type, Leases.vxlanData("2a:00:00:00:00:09"))), type);
    }
    assertEquals(RejectReason.BACKEND_TYPE_MISMATCH,
        reasonFor(Leases.lease("10.244.9.0/24", "192.0.2.9", null, Leases.vxlanData("2a:00:00:00:00:09"))));
  }

  @Test
  void rejectsBadPublicIps() {
    for (String ip : List.of("0.0.0.0", "127.0.0.1", "224.0.0.1", "255.255.255.255", "240.0.0.1")) {
      assertEquals(RejectReason.PUBLIC_IP_INVALID, reasonFor(vxlan("10.244.9.0/24", ip, "2a:00:00:00:00:09")), ip);
    }
    assertEquals(RejectReason.PUBLIC_IP_MISSING, reasonFor(vxlan("10.244.9.0/24", null, "2a:00:00:00:00:09")));
  }

  @Test
  void rejectsBadVtepMacs() {
    assertEquals(RejectReason.BACKEND_DATA_INVALID, reasonFor(vxlan("10.244.9.0/24", "192.0.2.9", "01:00:5e:00:00:01")));
    assertEquals(RejectReason.BACKEND_DATA_INVALID, reasonFor(vxlan("10.244.9.0/24", "192.0.2.9", "00:00:00:00:00:00")));
    assertEquals(RejectReason.BACKEND_DATA_INVALID, reasonFor(vxlan("10.244.9.0/24", "192.0.2.9", null)));
    assertEquals(RejectReason.BACKEND_DATA_INVALID, reasonFor(vxlan("10.244.9.0/24", "192.0.2.9", "zz:zz")));
  }

  @Test
  void rejectsOtherBackendType() {
    assertEquals(RejectReason.BACKEND_TYPE_MISMATCH,
        reasonFor(Leases.lease("10.244.9.0/24", "192.0.2.9", "host-gw", null)));
  }

  @Test
  void overlapGoesToTheFirstKeyThenStaysWithTheAcceptedPeer() {
    Lease small = vxlan("10.244.8.0/24", "192.0.2.8", "2a:00:00:00:00:08");
    Lease big = vxlan("10.244.8.0/23", "192.0.2.9", "2a:00:00:00:00:09");
    FullValidation.Outcome first = FullValidation.validate(v, List.of(small, big), Set.of());
    assertEquals(List.of(big), List.copyOf(first.accepted().values()), "key order: 10.244.8.0-23 sorts before 10.244.8.0-24");
    assertEquals(RejectReason.SUBNET_OVERLAPS_PEER, first.rejected().get(small.key()).reason());
    // Once small is the accepted one, a newcomer overlapping it loses.
    FullValidation.Outcome later = FullValidation.validate(v, List.of(big, small), Set.of(small.key()));
    assertEquals(List.of(small), List.copyOf(later.accepted().values()));
    assertEquals(RejectReason.SUBNET_OVERLAPS_PEER, later.rejected().get(big.key()).reason());
  }

  @Test
  void duplicateVtepMacIsRejected() {
    Lease a = vxlan("10.244.2.0/24", "192.0.2.2", "2a:00:00:00:00:02");
    Lease b = vxlan("10.244.3.0/24", "192.0.2.3", "2a:00:00:00:00:02");
    FullValidation.Outcome o = FullValidation.validate(v, List.of(a, b), Set.of());
    assertEquals(List.of(a), List.copyOf(o.accepted().values()));
    Map<String, Rejection> r = o.rejected();
    assertEquals(RejectReason.BACKEND_DATA_INVALID, r.get(b.key()).reason());
    assertTrue(r.get(b.key()).detail().contains(a.key()), r.get(b.key()).detail());
  }
}
