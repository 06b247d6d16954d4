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
import org.junit.jupiter.params.provider.ValueSource;
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

  @Test
  void hostBitsInPodCidrAreCleared() {
    Lease l = ((PeerReader.Peer) v4.read(view(vxlanPeer("192.0.2.7", "2a:00:00:00:00:07"),
        "10.244.7.9/24"))).lease();
    assertEquals(IpNet.parse("10.244.7.0/24"), l.subnet());
  }

  @Test
  void hostGwNullBackendDataIsAccepted() {
    Map<String, String> a = with("backend-data", "null");
    a.put(P + "backend-type", "host-gw");
    Lease l = ((PeerReader.Peer) v4.read(view(a, "10.244.7.0/24"))).lease();
    assertTrue(l.attrs().backendData().isNull());
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
    for (String bad : List.of("10.244.7.0/33", "banana", "10.244.7.0")) {
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

  /** The IPv4 short cut must give exactly what the general parser gives, and refuse the same texts. */
  @ParameterizedTest
  @ValueSource(strings = {"10.128.0.0/24", "10.147.135.0/24", "10.244.1.7/24", "0.0.0.0/0", "255.255.255.255/32",
      "192.0.2.1/32", "10.0.0.0/8", "10.1.2.3/31", "10.1.2.3/1", "1.2.3.4/0", "10.0.0.0/024", "010.0.0.0/8",
      "10.0.0/24", "10.0.0.0.0/24", "10.0.0.256/24", "10.0.0.0/33", "10.0.0.0/", " 10.0.0.0/24", "10.0.0.0/24 ",
      "10.0.0.0/+8", "1000.0.0.0/8", "fc00::/48", "::ffff:10.0.0.0/104", "10..0.0/8", "a.b.c.d/8"})
  void ipv4ShortCutAgreesWithTheGeneralParser(String text) {
    String general;
    try {
      IpNet n = IpNet.parse(text);
      general = (n.isIpv4() ? n.network() : n).toString();
    } catch (IllegalArgumentException e) {
      general = "refused";
    }
    String ours;
    try {
      IpNet n = PeerReader.parseCidr(text);
      ours = (n.isIpv4() ? PeerReader.v4Network(n) : n).toString();
    } catch (IllegalArgumentException e) {
      ours = "refused";
    }
    assertEquals(general, ours, text);
    int slash = text.indexOf('/');
    IpNet fast = PeerReader.v4Network(text, slash);
    if (fast != null) {
      assertEquals(general, fast.toString(), "short cut taken for " + text);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"198.18.19.135", "0.0.0.0", "255.255.255.255", "10.0.0.1", "010.0.0.1", "10.1",
      "10.0.0.256", "1.2.3.4.5", "1.2.3.", ".1.2.3", "1.2.3.4/32", " 1.2.3.4", "fc00::1", "::ffff:1.2.3.4", "node-a"})
  void ipv4AddressShortCutAgreesWithTheGeneralParser(String text) {
    String general;
    try {
      general = IpNet.parseAddress(text) instanceof java.net.Inet4Address a ? a.getHostAddress() : "v6";
    } catch (IllegalArgumentException e) {
      general = "refused";
    }
    String ours;
    try {
      ours = IpLiterals.parseV4(text).getHostAddress();
    } catch (IllegalArgumentException e) {
      ours = e.getMessage().contains("IPv6") ? "v6" : "refused";
    }
    assertEquals(general, ours, text);
    long fast = IpLiterals.dottedQuad(text, 0, text.length());
    if (fast >= 0) {
      assertEquals(general, IpLiterals.v4((int) fast).getHostAddress(), "short cut taken for " + text);
    }
  }
}
