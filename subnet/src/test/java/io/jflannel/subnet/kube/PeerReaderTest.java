package io.jflannel.subnet.kube;

import static io.jflannel.subnet.kube.Fixtures.ip;
import static io.jflannel.subnet.kube.MockCluster.P;
import static io.jflannel.subnet.kube.MockCluster.vxlanPeer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jflannel.subnet.IpNet;
import io.jflannel.subnet.Lease;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class PeerReaderTest {

  private final PeerReader v4 = new PeerReader(AnnotationKeys.defaults(), true, false);
  private final PeerReader dual = new PeerReader(AnnotationKeys.defaults(), true, true);

  private static NodeView view(Map<String, String> annotations, String... cidrs) {
    return new NodeView("peer", List.of(cidrs), annotations);
  }

  private static Map<String, String> with(String key, String value) {
    Map<String, String> a = new HashMap<>(vxlanPeer("192.0.2.7", "2a:00:00:00:00:07"));
    if (value == null) {
      a.remove(P + key);
    } else {
      a.put(P + key, value);
    }
    return a;
  }

  @Test
  void wellFormedPeerBecomesALease() {
    PeerReader.Reading r = v4.read(view(vxlanPeer("192.0.2.7", "2a:00:00:00:00:07"), "10.244.7.0/24"));
    Lease l = assertInstanceOf(PeerReader.Peer.class, r).lease();
    assertEquals(IpNet.parse("10.244.7.0/24"), l.subnet());
    assertNull(l.ipv6Subnet());
    assertEquals(ip("192.0.2.7"), l.attrs().publicIp());
    assertEquals("vxlan", l.attrs().backendType());
    assertEquals(1, l.attrs().backendData().get("VNI").asInt());
    assertNull(l.expiration());
  }

  /**
   * Upstream masks host bits; we refuse them (decision 0900): {@code 10.244.7.9/24} would be a
   * second spelling of 10.244.7.0/24, the way one Node takes over another's subnet.
   */
  @Test
  void hostBitsInPodCidrAreRefused() {
    PeerReader.Malformed m = assertInstanceOf(PeerReader.Malformed.class,
        v4.read(view(vxlanPeer("192.0.2.7", "2a:00:00:00:00:07"), "10.244.7.9/24")));
    assertEquals("spec.podCIDRs", m.field());
    assertTrue(m.problem().contains("host bits"), m.problem());
  }

  @Test
  void hostGwNullBackendDataIsAccepted() {
    Map<String, String> a = with("backend-data", "null");
    a.put(P + "backend-type", "host-gw");
    Lease l = ((PeerReader.Peer) v4.read(view(a, "10.244.7.0/24"))).lease();
    assertTrue(l.attrs().backendData().isNull());
  }

  /** Upstream's alloc backend writes an empty backend-type and backend-data null (decision 1040). */
  @Test
  void allocPeerWithAnEmptyBackendTypeIsAcceptedAndABlankOneIsNot() {
    Map<String, String> a = with("backend-data", "null");
    a.put(P + "backend-type", "");
    Lease l = ((PeerReader.Peer) v4.read(view(a, "10.244.7.0/24"))).lease();
    assertEquals("", l.attrs().backendType());
    a.put(P + "backend-type", " ");
    PeerReader.Malformed m = assertInstanceOf(PeerReader.Malformed.class, v4.read(view(a, "10.244.7.0/24")));
    assertEquals("flannel.alpha.coreos.com/backend-type", m.field());
  }

  @Test
  void nodesWithoutFlannelOrPodCidrAreNotPeers() {
    assertInstanceOf(PeerReader.NotPeer.class, v4.read(view(Map.of(), "10.244.7.0/24")));
    assertInstanceOf(PeerReader.NotPeer.class,
        v4.read(view(with("kube-subnet-manager", "false"), "10.244.7.0/24")));
    assertInstanceOf(PeerReader.NotPeer.class, v4.read(view(vxlanPeer("192.0.2.7", "x"))));
  }

  @ParameterizedTest(name = "{0}={1}")
  @CsvSource(delimiter = '|', nullValues = "NULL", value = {
      "backend-data|{\"VNI\":1,|flannel.alpha.coreos.com/backend-data",
      "backend-data|NULL|flannel.alpha.coreos.com/backend-data",
      "public-ip|192.0.2.300|flannel.alpha.coreos.com/public-ip",
      "public-ip|2001:db8::1|flannel.alpha.coreos.com/public-ip",
      "public-ip|node-b.example|flannel.alpha.coreos.com/public-ip",
      "public-ip|10.1|flannel.alpha.coreos.com/public-ip",
      "public-ip|192.0.2.0/24|flannel.alpha.coreos.com/public-ip",
      "public-ip|NULL|flannel.alpha.coreos.com/public-ip",
      "backend-type||flannel.alpha.coreos.com/backend-type",
  })
  void malformedAnnotationIsNamed(String key, String value, String field) {
    PeerReader.Reading r = v4.read(view(with(key, value), "10.244.7.0/24"));
    PeerReader.Malformed m = assertInstanceOf(PeerReader.Malformed.class, r, String.valueOf(r));
    assertEquals(field, m.field());
  }

  @Test
  void ipv6InTheIpv4FieldSaysSo() {
    PeerReader.Malformed m = (PeerReader.Malformed) v4.read(view(with("public-ip", "2001:db8::1"),
        "10.244.7.0/24"));
    assertTrue(m.problem().contains("IPv6"), m.problem());
  }

  @Test
  void unparsablePodCidrIsNamed() {
    for (String bad : List.of("10.244.7.0/33", "banana", "10.244.7.0", "012.244.7.0/24", "10.244.7.0/024",
        " 10.244.7.0/24", "10.244.7.0/24\n", "::ffff:10.244.7.0/24", "10.244.7.*/24", "0xa.244.7.0/24")) {
      PeerReader.Reading r = v4.read(view(vxlanPeer("192.0.2.7", "m"), bad));
      assertEquals("spec.podCIDRs", assertInstanceOf(PeerReader.Malformed.class, r, bad).field());
    }
  }

  @Test
  void dualStackNeedsBothFamilies() {
    Map<String, String> a = new HashMap<>(vxlanPeer("192.0.2.7", "2a:00:00:00:00:07"));
    a.put(P + "public-ipv6", "2001:db8::7");
    a.put(P + "backend-v6-data", "{\"VNI\":1,\"VtepMAC\":\"2a:00:00:00:06:07\"}");
    Lease l = ((PeerReader.Peer) dual.read(view(a, "fd00:10:244:7::/64", "10.244.7.0/24"))).lease();
    assertEquals(IpNet.parse("10.244.7.0/24"), l.subnet());
    assertEquals(IpNet.parse("fd00:10:244:7::/64"), l.ipv6Subnet());
    assertEquals(ip("2001:db8::7"), l.attrs().publicIpv6());

    assertEquals("spec.podCIDRs",
        ((PeerReader.Malformed) dual.read(view(a, "10.244.7.0/24"))).field());
    a.put(P + "public-ipv6", "192.0.2.7");
    assertEquals(P + "public-ipv6",
        ((PeerReader.Malformed) dual.read(view(a, "10.244.7.0/24", "fd00:10:244:7::/64"))).field());
  }

  @Test
  void renderJsonIsCompactAndNullForAbsent() {
    assertEquals("null", PeerReader.renderJson(null));
    assertEquals("{\"VNI\":1,\"VtepMAC\":\"2a:95:ed:10:e4:56\"}",
        PeerReader.renderJson(Fixtures.json("{ \"VNI\" : 1, \"VtepMAC\" : \"2a:95:ed:10:e4:56\" }")));
  }
}
