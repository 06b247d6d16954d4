package io.jflannel.backend.vxlan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jflannel.backend.BackendException;
import io.jflannel.backend.ExternalInterface;
import io.jflannel.backend.PeerObjects;
import io.jflannel.backend.RejectReason;
import io.jflannel.netlink.FdbEntry;
import io.jflannel.netlink.Link;
import io.jflannel.netlink.MacAddress;
import io.jflannel.netlink.Neigh;
import io.jflannel.netlink.NetlinkEvent;
import io.jflannel.netlink.Route;
import io.jflannel.netlink.VxlanAttrs;
import io.jflannel.netlink.VxlanSpec;
import io.jflannel.subnet.IpNet;
import io.jflannel.subnet.Lease;
import io.jflannel.subnet.LeaseAttrs;
import java.net.InetAddress;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class VxlanMappingTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final MacAddress OWN = MacAddress.parse("2a:95:ed:10:e4:56");

  static InetAddress ip(String s) throws Exception {
    return InetAddress.getByName(s);
  }

  static JsonNode json(String s) throws Exception {
    return JSON.readTree(s);
  }

  static Lease peer(String subnet, String pub, String data) throws Exception {
    return new Lease(IpNet.parse(subnet), null, new LeaseAttrs(ip(pub), null, "vxlan", json(data), null), null);
  }

  @Test
  void backendDataHasUpstreamKeys() throws Exception {
    assertEquals("{\"VNI\":1,\"VtepMAC\":\"2a:95:ed:10:e4:56\"}",
        JSON.writeValueAsString(new VtepData(1, OWN).toJson()));
    assertEquals(Optional.of(OWN), VtepData.restorableMac(json("{\"VNI\":1,\"VtepMAC\":\"2A:95:ED:10:E4:56\"}")));
    assertEquals(Optional.empty(), VtepData.restorableMac(json("{\"VNI\":1,\"VtepMAC\":\"01:00:5e:00:00:01\"}")));
    assertEquals(Optional.empty(), VtepData.restorableMac(json("null")));
  }

  @Test
  void optionsAreCaseInsensitiveWithDefaults() throws Exception {
    assertEquals(VxlanOptions.DEFAULTS, VxlanOptions.parse(json("{\"Type\":\"vxlan\"}")));
    assertEquals(VxlanOptions.DEFAULTS, VxlanOptions.parse(null));
    VxlanOptions o = VxlanOptions.parse(json(
        "{\"type\":\"VXLAN\",\"vni\":4096,\"PORT\":4789,\"mtu\":9000,\"gbp\":true,\"Learning\":true,\"directrouting\":true}"));
    assertEquals(new VxlanOptions(4096, 4789, 9000, true, true, true), o);
    assertEquals("flannel.4096", o.deviceName());
    assertEquals(8950, o.deviceMtu(1500), "the MTU option is the underlay MTU");
    assertEquals(1450, VxlanOptions.DEFAULTS.deviceMtu(1500));
  }

  @Test
  void badOptionsNameTheOption() throws Exception {
    BackendException e = assertThrows(BackendException.class, () -> VxlanOptions.parse(json("{\"VNI\":\"one\"}")));
    assertEquals("vxlan backend option \"VNI\" must be an integer 0..16777215, got \"one\"", e.getMessage());
    e = assertThrows(BackendException.class, () -> VxlanOptions.parse(json("{\"Port\":70000}")));
    assertTrue(e.getMessage().contains("\"Port\" must be an integer 0..65535"), e.getMessage());
    e = assertThrows(BackendException.class, () -> VxlanOptions.parse(json("{\"DirectRouting\":\"yes\"}")));
    assertEquals("vxlan backend option \"DirectRouting\" must be true or false, got \"yes\"", e.getMessage());
    e = assertThrows(BackendException.class, () -> new VxlanOptions(1, 0, 100, false, false, false).deviceMtu(1500));
    assertTrue(e.getMessage().contains("below the IPv4 minimum"), e.getMessage());
  }

  @Test
  void peerMapsToNeighFdbRoute() throws Exception {
    Lease p = peer("10.244.2.0/24", "192.0.2.2", "{\"VNI\":1,\"VtepMAC\":\"2a:00:00:00:00:02\"}");
    PeerObjects o = VxlanDataplane.map(p, 7, 2, List.of());
    MacAddress m = MacAddress.parse("2a:00:00:00:00:02");
    assertEquals(List.of(Neigh.permanent(7, ip("10.244.2.0"), m)), o.neighs());
    assertEquals(List.of(FdbEntry.permanentSelf(7, m, ip("192.0.2.2"))), o.fdb());
    assertEquals(List.of(Route.via(ip("10.244.2.0"), 24, ip("10.244.2.0"), 7).onlink()), o.routes());
    // One address instance per peer: the lease's own (decision 0855).
    assertSame(p.subnet().address(), o.routes().get(0).dst());
    assertSame(p.subnet().address(), o.routes().get(0).gateway());
    assertSame(p.subnet().address(), o.neighs().get(0).address());
  }

  @Test
  void aSubnetWithHostBitsMapsToItsNetworkAddress() throws Exception {
    Lease p = peer("10.244.2.7/24", "192.0.2.2", "{\"VNI\":1,\"VtepMAC\":\"2a:00:00:00:00:02\"}");
    PeerObjects o = VxlanDataplane.map(p, 7, 2, List.of());
    assertEquals(List.of(Route.via(ip("10.244.2.0"), 24, ip("10.244.2.0"), 7).onlink()), o.routes());
    assertEquals(ip("10.244.2.0"), o.neighs().get(0).address());
  }

  @Test
  void directRoutingUsesThePublicIpWhenOnLink() throws Exception {
    Lease p = peer("10.244.2.0/24", "192.0.2.2", "{\"VNI\":1,\"VtepMAC\":\"2a:00:00:00:00:02\"}");
    PeerObjects o = VxlanDataplane.map(p, 7, 2, List.of(IpNet.parse("192.0.2.0/24")));
    assertEquals(PeerObjects.route(Route.via(ip("10.244.2.0"), 24, ip("192.0.2.2"), 2)), o);
    Lease far = peer("10.244.3.0/24", "198.51.100.3", "{\"VNI\":1,\"VtepMAC\":\"2a:00:00:00:00:03\"}");
    assertEquals(1, VxlanDataplane.map(far, 7, 2, List.of(IpNet.parse("192.0.2.0/24"))).fdb().size(),
        "a peer off-link still goes through the tunnel");
  }

  private VxlanDataplane dataplane(boolean direct) throws Exception {
    VxlanSpec spec = new VxlanSpec("flannel.1", new VxlanAttrs(1, 2, ip("192.0.2.1"), 0, false, false, 0), OWN, 1450);
    return new VxlanDataplane(null, new VxlanDevice(null, spec), 7,
        new io.jflannel.backend.Underlay(null, ExternalInterface.ipv4("eth0", 2, ip("192.0.2.1"), 1500)),
        IpNet.parse("10.244.0.0/16"), IpNet.parse("10.244.1.0/24"), direct);
  }

  @Test
  void ownershipIsNarrow() throws Exception {
    VxlanDataplane dp = dataplane(false);
    assertTrue(dp.owns(Route.via(ip("10.244.9.0"), 24, ip("10.244.9.0"), 7).onlink()));
    assertFalse(dp.owns(Route.via(ip("172.16.0.0"), 24, ip("10.244.9.0"), 7).onlink()), "outside Network");
    assertFalse(dp.owns(Route.via(ip("10.244.9.0"), 24, ip("192.0.2.9"), 2)), "external interface, no DirectRouting");
    assertFalse(dp.owns(Route.dev(ip("10.244.9.0"), 24, 7).withProtocol(Route.PROTO_KERNEL)), "kernel route");
    assertFalse(dp.owns(Route.via(ip("10.244.9.0"), 24, ip("10.244.9.0"), 7).withTable(100)), "other table");
    assertTrue(dp.owns(Neigh.permanent(7, ip("10.244.9.0"), MacAddress.parse("2a:00:00:00:00:09"))));
    assertFalse(dp.owns(new Neigh(7, ip("10.244.9.0"), MacAddress.parse("2a:00:00:00:00:09"), Neigh.NUD_REACHABLE, 0)));
    assertFalse(dp.owns(Neigh.permanent(7, ip("172.16.0.1"), MacAddress.parse("2a:00:00:00:00:09"))));
    assertFalse(dp.owns(Neigh.permanent(3, ip("10.244.9.0"), MacAddress.parse("2a:00:00:00:00:09"))));
    assertTrue(dp.owns(FdbEntry.permanentSelf(7, MacAddress.parse("2a:00:00:00:00:09"), ip("192.0.2.9"))));
    assertFalse(dp.owns(FdbEntry.permanentSelf(7, MacAddress.parse("00:00:00:00:00:00"), ip("192.0.2.9"))),
        "all-zero flood entries belong to whoever appended them");
    assertFalse(dp.owns(FdbEntry.permanentSelf(7, OWN, ip("192.0.2.9"))));
    VxlanDataplane direct = dataplane(true);
    assertTrue(direct.owns(Route.via(ip("10.244.9.0"), 24, ip("192.0.2.9"), 2)));
    assertFalse(direct.owns(Route.via(ip("10.244.1.0"), 24, ip("192.0.2.9"), 2)), "our own subnet");
  }

  @Test
  void peerCheckRejectsUnusableMacs() throws Exception {
    VxlanDataplane dp = dataplane(false);
    assertEquals(Optional.empty(), dp.peerCheck().check(peer("10.244.2.0/24", "192.0.2.2",
        "{\"VNI\":1,\"VtepMAC\":\"2a:00:00:00:00:02\"}")));
    for (String data : List.of("{\"VNI\":1}", "{\"VNI\":1,\"VtepMAC\":\"01:00:5e:00:00:01\"}",
        "{\"VNI\":1,\"VtepMAC\":\"00:00:00:00:00:00\"}", "{\"VNI\":1,\"VtepMAC\":\"2a:95:ed:10:e4:56\"}",
        "{\"VNI\":1,\"VtepMAC\":42}", "null")) {
      var r = dp.peerCheck().check(peer("10.244.2.0/24", "192.0.2.2", data));
      assertEquals(RejectReason.BACKEND_DATA_INVALID, r.orElseThrow(() -> new AssertionError(data)).reason(), data);
    }
  }

  @Test
  void compatibilityFollowsUpstreamFields() throws Exception {
    VxlanAttrs want = new VxlanAttrs(1, 2, ip("192.0.2.1"), 0, false, false, 0);
    Link same = new Link(7, "flannel.1", "vxlan", 1450, OWN, 0, true, 0,
        Optional.of(new VxlanAttrs(1, 2, ip("192.0.2.1"), 8472, true, false, 0)));
    assertTrue(VxlanDevice.compatible(same, want), "kernel default port and learning do not matter");
    assertFalse(VxlanDevice.compatible(new Link(7, "flannel.1", "vxlan", 1450, OWN, 0, true, 0,
        Optional.of(new VxlanAttrs(2, 2, ip("192.0.2.1"), 8472, false, false, 0))), want), "VNI");
    assertFalse(VxlanDevice.compatible(new Link(7, "flannel.1", "vxlan", 1450, OWN, 0, true, 0,
        Optional.of(new VxlanAttrs(1, 2, ip("192.0.2.5"), 8472, false, false, 0))), want), "local");
    assertFalse(VxlanDevice.compatible(new Link(7, "flannel.1", "vxlan", 1450, OWN, 0, true, 0,
        Optional.of(new VxlanAttrs(1, 2, ip("192.0.2.1"), 4789, false, false, 0))), want), "port");
    assertFalse(VxlanDevice.compatible(new Link(7, "flannel.1", "veth", 1450, OWN, 0, true, 0, null), want), "kind");
  }

  @Test
  void deviceEvents() throws Exception {
    VxlanDataplane dp = dataplane(false);
    Link up = new Link(7, "flannel.1", "vxlan", 1450, OWN, 1, true, 0, null);
    assertFalse(dp.deviceAffected(new NetlinkEvent.LinkChanged(up)));
    assertTrue(dp.deviceAffected(new NetlinkEvent.LinkDeleted(up)));
    assertTrue(dp.deviceAffected(new NetlinkEvent.LinkChanged(new Link(7, "flannel.1", "vxlan", 1450, OWN, 0, false, 0, null))));
    assertTrue(dp.deviceAffected(new NetlinkEvent.LinkChanged(new Link(7, "flannel.1", "vxlan", 1400, OWN, 1, true, 0, null))));
    assertTrue(dp.deviceAffected(new NetlinkEvent.AddrDeleted(new io.jflannel.netlink.Addr(7, ip("10.244.1.0"), 32))));
    assertFalse(dp.deviceAffected(new NetlinkEvent.AddrDeleted(new io.jflannel.netlink.Addr(2, ip("10.244.1.0"), 32))));
  }
}
