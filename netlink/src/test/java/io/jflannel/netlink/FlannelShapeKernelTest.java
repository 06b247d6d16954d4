package io.jflannel.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jflannel.netlink.testing.TestNetns;
import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The exact kernel state flannel's VXLAN backend programs, built with our API and checked with ip/bridge. */
class FlannelShapeKernelTest {
  private TestNetns ns;
  private Netlink nl;

  @BeforeEach
  void setUp() throws Exception {
    ns = TestNetns.create("nl");
    ns.vethPair("veth0", "veth1");
    ns.exec("ip", "addr", "add", "192.0.2.1/24", "dev", "veth0");
    nl = Netlink.open(ns.netns());
  }

  @AfterEach
  void tearDown() {
    if (nl != null) {
      nl.close();
    }
    if (ns != null) {
      ns.close();
    }
  }

  @Test
  void programsVxlanDeviceAddressNeighFdbAndOnlinkRoute() throws Exception {
    int veth0 = nl.link("veth0").orElseThrow().index();
    MacAddress vtep = MacAddress.parse("2a:95:ed:10:e4:56");
    MacAddress own = MacAddress.parse("0e:11:22:33:44:55");
    InetAddress local = InetAddress.getByName("192.0.2.1");
    Link dev = nl.createVxlan(new VxlanSpec("flannel.1",
        new VxlanAttrs(1, veth0, local, 8472, false, false, 0), own, 1450));
    assertEquals("vxlan", dev.kind());
    assertEquals(1450, dev.mtu());
    assertEquals(own, dev.hardwareAddress());
    VxlanAttrs vx = dev.vxlan().orElseThrow();
    assertEquals(new VxlanAttrs(1, veth0, local, 8472, false, false, 0), vx);
    nl.setUp(dev.index());
    nl.addrReplace(new Addr(dev.index(), InetAddress.getByName("10.244.1.0"), 32));
    InetAddress gw = InetAddress.getByName("10.244.2.0");
    InetAddress peer = InetAddress.getByName("192.0.2.2");
    nl.neighReplace(Neigh.permanent(dev.index(), gw, vtep));
    nl.fdbReplace(FdbEntry.permanentSelf(dev.index(), vtep, peer));
    nl.routeReplace(Route.via(gw, 24, gw, dev.index()).onlink());

    String link = ns.exec("ip", "-d", "link", "show", "flannel.1");
    assertTrue(link.contains("vxlan id 1 local 192.0.2.1 dev veth0"), link);
    assertTrue(link.contains("dstport 8472 nolearning"), link);
    assertTrue(link.contains("mtu 1450"), link);
    assertTrue(link.contains("link/ether 0e:11:22:33:44:55"), link);
    assertTrue(ns.exec("ip", "addr", "show", "dev", "flannel.1").contains("inet 10.244.1.0/32 scope global flannel.1"));
    assertTrue(ns.exec("ip", "neigh", "show", "dev", "flannel.1").contains("10.244.2.0 lladdr 2a:95:ed:10:e4:56 PERMANENT"));
    assertTrue(ns.exec("bridge", "fdb", "show", "dev", "flannel.1").contains("2a:95:ed:10:e4:56 dst 192.0.2.2 self permanent"));
    assertTrue(ns.exec("ip", "route").contains("10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink"));

    List<Route> routes = nl.routes(RouteFilter.main(Families.AF_INET).withLink(dev.index()));
    assertEquals(1, routes.size(), routes.toString());
    Route r = routes.get(0);
    assertEquals(gw, r.dst());
    assertEquals(24, r.dstPrefixLength());
    assertEquals(gw, r.gateway());
    assertTrue(r.isOnlink());
    assertEquals(List.of(new Neigh(dev.index(), gw, vtep, Neigh.NUD_PERMANENT, 0)), nl.neighs(dev.index(), Families.AF_INET));
    assertTrue(nl.fdb(dev.index()).contains(FdbEntry.permanentSelf(dev.index(), vtep, peer)), nl.fdb(dev.index()).toString());
    assertEquals(List.of(new Addr(dev.index(), InetAddress.getByName("10.244.1.0"), 32)), nl.addrs(dev.index(), Families.AF_INET));
  }
}
