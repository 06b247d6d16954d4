package io.jflannel.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jflannel.netlink.testing.TestNetns;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Every verb against the kernel in a fresh namespace, checked by our dumps and by ip/bridge output. */
class NetlinkKernelTest {
  private TestNetns ns;
  private Netlink nl;
  private int veth0;

  @BeforeEach
  void setUp() throws Exception {
    ns = TestNetns.create("nl");
    ns.vethPair("veth0", "veth1");
    ns.exec("ip", "addr", "add", "192.0.2.1/24", "dev", "veth0");
    ns.exec("ip", "-6", "addr", "add", "2001:db8::1/64", "dev", "veth0", "nodad");
    nl = Netlink.open(ns.netns());
    veth0 = nl.link("veth0").orElseThrow().index();
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

  private static InetAddress ip(String s) throws Exception {
    return InetAddress.getByName(s);
  }

  private Link flannel() throws Exception {
    Link l = nl.createVxlan(new VxlanSpec("flannel.1",
        new VxlanAttrs(1, veth0, ip("192.0.2.1"), 8472, false, false, 0), null, 0));
    nl.setUp(l.index());
    return l;
  }

  @Test
  void linkLookupsByNameIndexAndList() throws Exception {
    Link byName = nl.link("veth0").orElseThrow();
    assertEquals("veth", byName.kind());
    assertEquals(Integer.parseInt(ns.exec("cat", "/sys/class/net/veth0/ifindex").trim()), byName.index());
    assertEquals(byName, nl.link(byName.index()).orElseThrow());
    assertEquals(MacAddress.parse(ns.exec("cat", "/sys/class/net/veth0/address").trim()), byName.hardwareAddress());
    assertEquals(Optional.empty(), nl.link("nope0"));
    assertEquals(Optional.empty(), nl.link(99999));
    List<String> names = nl.links().stream().map(Link::name).toList();
    assertTrue(names.containsAll(List.of("lo", "veth0", "veth1")) && names.size() == 3, names.toString());
  }

  @Test
  void createVxlanWithEveryOptionAndReadItBack() throws Exception {
    MacAddress mac = MacAddress.parse("2a:95:ed:10:e4:57");
    VxlanAttrs attrs = new VxlanAttrs(42, veth0, ip("192.0.2.1"), 4789, true, true, 64);
    Link l = nl.createVxlan(new VxlanSpec("vx42", attrs, mac, 1400));
    assertEquals(attrs, l.vxlan().orElseThrow());
    assertEquals(mac, l.hardwareAddress());
    assertEquals(1400, l.mtu());
    assertFalse(l.up());
    String out = ns.exec("ip", "-d", "link", "show", "vx42");
    assertTrue(out.contains("vxlan id 42 local 192.0.2.1 dev veth0"), out);
    assertTrue(out.contains("dstport 4789"), out);
    assertTrue(out.contains(" gbp"), out);
    assertTrue(out.contains("ttl 64"), out);
    assertFalse(out.contains("nolearning"), out);

    Link v6 = nl.createVxlan(new VxlanSpec("vx6", new VxlanAttrs(6, veth0, ip("2001:db8::1"), 0, false, false, 0), null, 0));
    VxlanAttrs got = v6.vxlan().orElseThrow();
    assertEquals(ip("2001:db8::1"), got.local());
    assertEquals(8472, got.port(), "kernel default port when none given");
    assertTrue(ns.exec("ip", "-d", "link", "show", "vx6").contains("local 2001:db8::1"));

    NetlinkException dup = assertThrows(NetlinkException.class, () -> nl.createVxlan(new VxlanSpec("vx42", attrs, null, 0)));
    assertEquals("EEXIST", dup.errnoName());
    assertTrue(dup.getMessage().startsWith("link add vx42"), dup.getMessage());
  }

  @Test
  void setUpDownMtuAddressDelete() throws Exception {
    Link l = flannel();
    assertTrue(nl.link(l.index()).orElseThrow().up());
    assertTrue(ns.exec("ip", "link", "show", "flannel.1").contains(",UP"));
    nl.setDown(l.index());
    assertFalse(nl.link(l.index()).orElseThrow().up());
    assertFalse(ns.exec("ip", "link", "show", "flannel.1").contains(",UP"));
    nl.setMtu(l.index(), 1300);
    assertEquals(1300, nl.link("flannel.1").orElseThrow().mtu());
    assertTrue(ns.exec("ip", "link", "show", "flannel.1").contains("mtu 1300"));
    MacAddress mac = MacAddress.randomLocalUnicast();
    nl.setHardwareAddress(l.index(), mac);
    assertEquals(mac, nl.link("flannel.1").orElseThrow().hardwareAddress());
    assertTrue(ns.exec("ip", "link", "show", "flannel.1").contains("link/ether " + mac));
    nl.deleteLink(l.index());
    assertEquals(Optional.empty(), nl.link("flannel.1"));
    assertTrue(ns.tryExec("ip", "link", "show", "flannel.1") == null);
    NetlinkException e = assertThrows(NetlinkException.class, () -> nl.deleteLink(l.index()));
    assertEquals(Errno.ENODEV, e.errno());
  }

  @Test
  void addressesAddReplaceDeleteBothFamilies() throws Exception {
    Link l = flannel();
    Addr v4 = new Addr(l.index(), ip("10.244.1.0"), 32);
    Addr v6 = new Addr(l.index(), ip("2001:db8:1::"), 128);
    nl.addrAdd(v4);
    nl.addrReplace(v4);
    nl.addrAdd(v6);
    assertEquals(List.of(v4), nl.addrs(l.index(), Families.AF_INET));
    assertTrue(nl.addrs(l.index(), Families.AF_INET6).contains(v6));
    assertTrue(nl.addrs(0, 0).containsAll(List.of(v4, v6)));
    assertTrue(ns.exec("ip", "addr", "show", "dev", "flannel.1").contains("inet 10.244.1.0/32 scope global flannel.1"));
    assertTrue(ns.exec("ip", "-6", "addr", "show", "dev", "flannel.1").contains("inet6 2001:db8:1::/128"));
    NetlinkException dup = assertThrows(NetlinkException.class, () -> nl.addrAdd(v4));
    assertEquals("EEXIST", dup.errnoName());
    nl.addrDelete(v4);
    nl.addrDelete(v6);
    assertEquals(List.of(), nl.addrs(l.index(), Families.AF_INET));
    assertFalse(ns.exec("ip", "addr", "show", "dev", "flannel.1").contains("10.244.1.0"));
    NetlinkException gone = assertThrows(NetlinkException.class, () -> nl.addrDelete(v4));
    assertEquals(Errno.EADDRNOTAVAIL, gone.errno());
  }

  @Test
  void routesAddReplaceDeleteListAndFilters() throws Exception {
    Link l = flannel();
    nl.addrAdd(new Addr(l.index(), ip("10.244.1.0"), 32));
    Route onlink = Route.via(ip("10.244.2.0"), 24, ip("10.244.2.0"), l.index()).onlink();
    Route viaVeth = Route.via(ip("10.99.0.0"), 16, ip("192.0.2.7"), veth0).withPriority(7);
    Route withSrc = Route.dev(ip("10.244.4.0"), 24, l.index()).withPrefSrc(ip("10.244.1.0"));
    Route hole = Route.blackhole(ip("10.244.9.0"), 24);
    Route table100 = Route.via(ip("10.50.0.0"), 16, ip("192.0.2.9"), veth0).withTable(100).withProtocol(Route.PROTO_STATIC);
    Route v6 = Route.via(ip("2001:db8:9::"), 64, ip("2001:db8::9"), veth0);
    for (Route r : List.of(onlink, viaVeth, withSrc, hole, table100, v6)) {
      nl.routeAdd(r);
    }
    nl.routeReplace(onlink);
    String ipRoute = ns.exec("ip", "route");
    assertTrue(ipRoute.contains("10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink"), ipRoute);
    assertTrue(ipRoute.contains("10.99.0.0/16 via 192.0.2.7 dev veth0 metric 7"), ipRoute);
    assertTrue(ipRoute.contains("10.244.4.0/24 dev flannel.1 scope link src 10.244.1.0"), ipRoute);
    assertTrue(ipRoute.contains("blackhole 10.244.9.0/24"), ipRoute);
    assertTrue(ns.exec("ip", "route", "show", "table", "100").contains("10.50.0.0/16 via 192.0.2.9 dev veth0 proto static"));
    assertTrue(ns.exec("ip", "-6", "route").contains("2001:db8:9::/64 via 2001:db8::9 dev veth0"));

    List<Route> main4 = nl.routes(RouteFilter.main(Families.AF_INET));
    for (Route r : List.of(onlink, viaVeth, withSrc, hole)) {
      assertTrue(main4.contains(r), r + " not in " + main4);
    }
    assertFalse(main4.contains(table100));
    assertEquals(List.of(table100), nl.routes(new RouteFilter(0, 100, 0, null, 0)));
    assertEquals(List.of(onlink, withSrc), nl.routes(RouteFilter.main(Families.AF_INET).withLink(l.index())));
    assertEquals(List.of(onlink), nl.routes(RouteFilter.ALL.withDst(ip("10.244.2.0"), 24)));
    assertTrue(nl.routes(RouteFilter.main(Families.AF_INET6)).contains(v6.withPriority(1024)),
        "IPv6 routes get the default metric 1024");

    NetlinkException dup = assertThrows(NetlinkException.class, () -> nl.routeAdd(onlink));
    assertEquals(Errno.EEXIST, dup.errno());
    assertEquals("EEXIST", dup.errnoName());
    assertTrue(dup.getMessage().startsWith("route add 10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink: EEXIST"),
        dup.getMessage());

    for (Route r : List.of(onlink, viaVeth, withSrc, hole, table100, v6)) {
      nl.routeDelete(r);
    }
    assertFalse(ns.exec("ip", "route").contains("10.244.2.0/24"));
    assertEquals(List.of(), nl.routes(RouteFilter.ALL.withDst(ip("10.244.2.0"), 24)));
    NetlinkException missing = assertThrows(NetlinkException.class, () -> nl.routeDelete(onlink));
    assertEquals("ESRCH", missing.errnoName());
  }

  @Test
  void routeViaUnreachableGatewayWithoutOnlinkCarriesKernelText() throws Exception {
    Link l = flannel();
    Route bad = Route.via(ip("10.244.3.0"), 24, ip("10.9.9.9"), l.index());
    NetlinkException e = assertThrows(NetlinkException.class, () -> nl.routeReplace(bad));
    assertEquals("Nexthop has invalid gateway", e.extAck());
    assertEquals(Errno.ENETUNREACH, e.errno());
    assertEquals("route replace 10.244.3.0/24 via 10.9.9.9 dev flannel.1: ENETUNREACH (Network is unreachable): "
        + "Nexthop has invalid gateway", e.getMessage());
    nl.routeReplace(bad.onlink());
    assertTrue(ns.exec("ip", "route").contains("10.244.3.0/24 via 10.9.9.9 dev flannel.1 onlink"));
  }

  @Test
  void routeGetReportsOutputLinkAndPreferredSource() throws Exception {
    Route r = nl.routeGet(ip("192.0.2.55")).orElseThrow();
    assertEquals(veth0, r.linkIndex());
    assertEquals(ip("192.0.2.1"), r.prefSrc());
    String ipGet = ns.exec("ip", "route", "get", "192.0.2.55");
    assertTrue(ipGet.contains("dev veth0 src 192.0.2.1"), ipGet);
    assertEquals(Optional.empty(), nl.routeGet(ip("198.51.100.1")), "no default route in the namespace");
    Route v6 = nl.routeGet(ip("2001:db8::77")).orElseThrow();
    assertEquals(veth0, v6.linkIndex());
  }

  @Test
  void neighboursReplaceListDelete() throws Exception {
    Link l = flannel();
    MacAddress mac = MacAddress.parse("2a:95:ed:10:e4:56");
    Neigh n4 = Neigh.permanent(l.index(), ip("10.244.2.0"), mac);
    Neigh n6 = Neigh.permanent(veth0, ip("2001:db8::42"), mac);
    nl.neighReplace(n4);
    nl.neighReplace(n4);
    nl.neighReplace(n6);
    // family 0 = both IP families; the IPv6 side may hold multicast (NOARP) entries of its own
    assertTrue(nl.neighs(l.index(), 0).contains(n4));
    assertEquals(List.of(n4), nl.neighs(l.index(), Families.AF_INET));
    assertTrue(nl.neighs(0, Families.AF_INET6).contains(n6));
    assertFalse(nl.neighs(0, Families.AF_INET).contains(n6));
    assertTrue(ns.exec("ip", "neigh", "show", "dev", "flannel.1").contains("10.244.2.0 lladdr 2a:95:ed:10:e4:56 PERMANENT"));
    assertTrue(ns.exec("ip", "-6", "neigh", "show", "dev", "veth0").contains("2001:db8::42 lladdr 2a:95:ed:10:e4:56 PERMANENT"));
    nl.neighDelete(n4);
    nl.neighDelete(n6);
    assertEquals(List.of(), nl.neighs(l.index(), Families.AF_INET));
    assertFalse(nl.neighs(0, Families.AF_INET6).contains(n6));
    assertEquals("", ns.exec("ip", "neigh", "show", "dev", "flannel.1").trim());
    NetlinkException e = assertThrows(NetlinkException.class, () -> nl.neighDelete(n4));
    assertEquals("ENOENT", e.errnoName());
    assertTrue(e.getMessage().startsWith("neigh del 10.244.2.0 lladdr 2a:95:ed:10:e4:56 dev flannel.1"), e.getMessage());
  }

  @Test
  void fdbReplaceAppendListDelete() throws Exception {
    Link l = flannel();
    MacAddress mac = MacAddress.parse("2a:95:ed:10:e4:56");
    FdbEntry e = FdbEntry.permanentSelf(l.index(), mac, ip("192.0.2.2"));
    nl.fdbReplace(e);
    nl.fdbReplace(e);
    FdbEntry z1 = FdbEntry.permanentSelf(l.index(), MacAddress.parse("00:00:00:00:00:00"), ip("192.0.2.3"));
    FdbEntry z2 = FdbEntry.permanentSelf(l.index(), MacAddress.parse("00:00:00:00:00:00"), ip("192.0.2.4"));
    nl.fdbAppend(z1);
    nl.fdbAppend(z2);
    List<FdbEntry> fdb = nl.fdb(l.index());
    assertTrue(fdb.containsAll(List.of(e, z1, z2)), fdb.toString());
    assertTrue(fdb.stream().allMatch(x -> x.linkIndex() == l.index()));
    String out = ns.exec("bridge", "fdb", "show", "dev", "flannel.1");
    assertTrue(out.contains("2a:95:ed:10:e4:56 dst 192.0.2.2 self permanent"), out);
    assertTrue(out.contains("00:00:00:00:00:00 dst 192.0.2.3 self permanent"), out);
    assertTrue(out.contains("00:00:00:00:00:00 dst 192.0.2.4 self permanent"), out);
    nl.fdbDelete(e);
    nl.fdbDelete(z1);
    assertFalse(nl.fdb(l.index()).contains(e));
    assertTrue(nl.fdb(l.index()).contains(z2));
    out = ns.exec("bridge", "fdb", "show", "dev", "flannel.1");
    assertFalse(out.contains("2a:95:ed:10:e4:56"), out);
    NetlinkException err = assertThrows(NetlinkException.class, () -> nl.fdbDelete(e));
    assertEquals("ENOENT", err.errnoName());
  }

  @Test
  void batchReportsTheFailingRequestInTheMiddleAndAppliesTheRest() throws Exception {
    Link l = flannel();
    nl.routeAdd(Route.via(ip("10.244.50.0"), 24, ip("10.244.50.0"), l.index()).onlink());
    List<NetlinkOp> ops = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      Route r = Route.via(ip("10.244." + i + ".0"), 24, ip("10.244." + i + ".0"), l.index()).onlink();
      ops.add(NetlinkOp.routeAdd(r));
    }
    BatchResult res = nl.apply(ops);
    assertEquals(99, res.succeeded());
    assertEquals(1, res.failures().size());
    OpFailure f = res.failures().get(0);
    assertEquals(50, f.index());
    assertEquals(ops.get(50), f.op());
    assertEquals("EEXIST", f.error().errnoName());
    assertTrue(f.error().getMessage().startsWith("route add 10.244.50.0/24 via 10.244.50.0 dev flannel.1 onlink: EEXIST"),
        f.error().getMessage());
    assertEquals(100, nl.routes(RouteFilter.main(Families.AF_INET).withLink(l.index())).size());
    assertEquals(100, ns.exec("ip", "route", "show", "dev", "flannel.1").lines().count());
    assertThrows(NetlinkException.class, res::throwIfFailed);
  }

  @Test
  void batchMixesKindsAndMoreRequestsThanTheWindow() throws Exception {
    Link l = flannel();
    int n = 3 * RtNetlink.MAX_WINDOW + 17;
    List<NetlinkOp> ops = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      InetAddress gw = InetAddress.getByAddress(new byte[] {10, (byte) (100 + i / 65536), (byte) (i >> 8), (byte) i});
      MacAddress mac = new MacAddress(0x0200_0000_0000L + i);
      switch (i % 3) {
        case 0 -> ops.add(NetlinkOp.neighReplace(Neigh.permanent(l.index(), gw, mac)));
        case 1 -> ops.add(NetlinkOp.fdbReplace(FdbEntry.permanentSelf(l.index(), mac, ip("192.0.2.2"))));
        default -> ops.add(NetlinkOp.routeReplace(Route.via(gw, 32, gw, l.index()).onlink()));
      }
    }
    BatchResult res = nl.apply(ops);
    assertTrue(res.ok(), () -> res.failures().subList(0, Math.min(3, res.failures().size())).toString());
    assertEquals(n, res.succeeded());
    assertEquals((n + 2) / 3, nl.neighs(l.index(), Families.AF_INET).size());
    assertEquals(n / 3, nl.routes(RouteFilter.main(Families.AF_INET).withLink(l.index())).size());
    long fdbSelf = nl.fdb(l.index()).stream().filter(e -> e.dst() != null).count();
    assertEquals((n + 1) / 3, fdbSelf);
    assertEquals(BatchResult.class, nl.apply(List.of()).getClass());
  }

  @Test
  void closedHandleRefusesRequests() throws Exception {
    nl.close();
    NetlinkException e = assertThrows(NetlinkException.class, () -> nl.links());
    assertEquals("EBADF", e.errnoName());
    nl.close();
  }
}
