package io.jflannel.netlink;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;

/** Value types: parsing, formatting, validation with clear messages. */
class ValuesTest {
  @Test
  void macAddressParsesFormatsAndClassifies() {
    MacAddress m = MacAddress.parse("2A:95:ed:10:E4:56");
    assertEquals(0x2a95ed10e456L, m.value());
    assertEquals("2a:95:ed:10:e4:56", m.toString());
    assertArrayEquals(new byte[] {0x2a, (byte) 0x95, (byte) 0xed, 0x10, (byte) 0xe4, 0x56}, m.toBytes());
    assertEquals(m, MacAddress.of(m.toBytes()));
    assertTrue(m.isUnicast());
    assertTrue(m.isLocallyAdministered());
    assertFalse(m.isZero());
    assertTrue(MacAddress.parse("01:00:5e:00:00:01").isMulticast());
    assertFalse(MacAddress.parse("00:1b:21:00:00:01").isLocallyAdministered());
    assertTrue(MacAddress.parse("00:00:00:00:00:00").isZero());
    assertEquals(0x0a0b0c0d0e0fL, MacAddress.parse(" a-b-c-d-e-f ").value(), "single digits, dashes, blanks around");
    assertEquals("0e:00:00:00:00:01", new MacAddress(0x0e0000000001L).toString());
    for (int i = 0; i < 200; i++) {
      MacAddress r = MacAddress.randomLocalUnicast();
      assertTrue(r.isUnicast() && r.isLocallyAdministered(), r.toString());
    }
  }

  @Test
  void macAddressRejectsBadInputNamingIt() {
    for (String bad : new String[] {"", "2a:95:ed:10:e4", "2a:95:ed:10:e4:56:77", "zz:95:ed:10:e4:56", "2a:95:ed:10:e4:567",
        "2a:95:ed:10:e4:56:", ":2a:95:ed:10:e4:56", "2a::95:ed:10:e4", "2a:95:ed:10:e4:\u0663", "2a:95:ed:10:e4:+5"}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MacAddress.parse(bad));
      assertTrue(e.getMessage().contains("'" + bad + "'"), e.getMessage());
    }
    assertThrows(IllegalArgumentException.class, () -> new MacAddress(1L << 48));
    assertThrows(IllegalArgumentException.class, () -> MacAddress.of(new byte[5]));
  }

  @Test
  void routeFactoriesAndValidation() throws Exception {
    InetAddress gw = InetAddress.getByName("10.244.2.0");
    Route r = Route.via(gw, 24, gw, 5).onlink();
    assertTrue(r.isOnlink());
    assertEquals(Families.AF_INET, r.family());
    assertEquals(Route.RT_TABLE_MAIN, r.table());
    assertEquals(Route.PROTO_BOOT, r.protocol());
    assertEquals("10.244.2.0/24 via 10.244.2.0 dev #5 onlink", r.toString());
    Route def = Route.via(null, 0, InetAddress.getByName("192.0.2.254"), 2);
    assertEquals("default", def.dstString());
    assertThrows(IllegalArgumentException.class, () -> Route.via(gw, 33, gw, 1));
    assertThrows(IllegalArgumentException.class, () -> Route.via(null, 8, gw, 1));
    IllegalArgumentException mixed = assertThrows(IllegalArgumentException.class,
        () -> Route.via(gw, 24, InetAddress.getByName("2001:db8::1"), 1));
    assertTrue(mixed.getMessage().contains("2001:db8"), mixed.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new Route(null, 0, null, 1, 254, 0, 3, 1, false, null, 0, 0));
    assertEquals(Route.TYPE_BLACKHOLE, Route.blackhole(gw, 24).type());
  }

  @Test
  void routeFilterMatches() throws Exception {
    InetAddress gw = InetAddress.getByName("10.244.2.0");
    Route r = Route.via(gw, 24, gw, 5);
    assertTrue(RouteFilter.ALL.matches(r));
    assertTrue(RouteFilter.main(Families.AF_INET).withLink(5).withDst(gw, 24).matches(r));
    assertFalse(RouteFilter.main(Families.AF_INET6).matches(r));
    assertFalse(RouteFilter.ALL.withLink(6).matches(r));
    assertFalse(RouteFilter.ALL.withDst(gw, 25).matches(r));
    assertFalse(RouteFilter.ALL.withTable(100).matches(r));
  }

  @Test
  void otherValuesValidate() throws Exception {
    assertThrows(IllegalArgumentException.class, () -> new VxlanAttrs(1 << 24, 0, null, 0, false, false, 0));
    assertThrows(IllegalArgumentException.class, () -> new VxlanAttrs(1, 0, null, 70000, false, false, 0));
    assertThrows(IllegalArgumentException.class, () -> new VxlanAttrs(1, 0, null, 0, false, false, 256));
    IllegalArgumentException longName = assertThrows(IllegalArgumentException.class,
        () -> new VxlanSpec("a-name-longer-than-15", new VxlanAttrs(1, 0, null, 0, false, false, 0), null, 0));
    assertTrue(longName.getMessage().contains("a-name-longer-than-15"));
    assertThrows(IllegalArgumentException.class, () -> new NetNs("a/b"));
    assertThrows(IllegalArgumentException.class, () -> new NetNs(""));
    assertEquals("/var/run/netns/x", new NetNs("x").path().toString());
    assertThrows(IllegalArgumentException.class, () -> new Addr(1, InetAddress.getByName("10.0.0.1"), 33));
    assertEquals(Families.AF_INET6, new Addr(1, InetAddress.getByName("::1"), 128).family());
    assertThrows(IllegalArgumentException.class, () -> Neigh.permanent(1, InetAddress.getByName("10.0.0.1"), null));
    FdbEntry e = FdbEntry.permanentSelf(3, MacAddress.parse("2a:95:ed:10:e4:56"), InetAddress.getByName("192.0.2.2"));
    assertEquals(Neigh.NUD_PERMANENT | Neigh.NUD_NOARP, e.state());
    assertEquals(Neigh.NTF_SELF, e.flags());
  }

  @Test
  void netlinkExceptionCarriesErrnoNameExtAckAndOperation() {
    NetlinkException e = new NetlinkException("route replace 10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink",
        Errno.EEXIST, null);
    assertEquals(17, e.errno());
    assertEquals("EEXIST", e.errnoName());
    assertNull(e.extAck());
    assertEquals("route replace 10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink: EEXIST (File exists)", e.getMessage());
    NetlinkException x = new NetlinkException("route add x", Errno.EINVAL, "Nexthop has invalid gateway");
    assertEquals("route add x: EINVAL (Invalid argument): Nexthop has invalid gateway", x.getMessage());
    assertTrue(x instanceof java.io.IOException);
    assertEquals("E#250", Errno.name(250));
    assertEquals("ENOBUFS", Errno.name(Errno.ENOBUFS));
  }

  @Test
  void opsDescribeThemselvesInIproute2Words() throws Exception {
    InetAddress gw = InetAddress.getByName("10.244.2.0");
    MacAddress mac = MacAddress.parse("2a:95:ed:10:e4:56");
    assertEquals("route replace 10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink",
        NetlinkOp.routeReplace(Route.via(gw, 24, gw, 4).onlink()).describe(i -> i == 4 ? "flannel.1" : null));
    assertEquals("neigh replace 10.244.2.0 lladdr 2a:95:ed:10:e4:56 dev #4 nud permanent",
        NetlinkOp.neighReplace(Neigh.permanent(4, gw, mac)).describe(i -> null));
    assertEquals("fdb append 2a:95:ed:10:e4:56 dev flannel.1 dst 192.0.2.2 self permanent",
        NetlinkOp.fdbAppend(FdbEntry.permanentSelf(4, mac, InetAddress.getByName("192.0.2.2"))).describe(i -> "flannel.1"));
    assertEquals("addr del 10.244.1.0/32 dev flannel.1",
        NetlinkOp.addrDelete(new Addr(4, InetAddress.getByName("10.244.1.0"), 32)).describe(i -> "flannel.1"));
  }

  @Test
  void availabilityGateAnswersWithoutThrowing() {
    if (Netlink.isAvailable()) {
      assertNull(Netlink.unavailabilityCause());
    } else {
      assertTrue(Netlink.unavailabilityCause() != null);
    }
    assertEquals(System.getProperty("os.name").toLowerCase().contains("linux"), Netlink.isAvailable());
  }
}
