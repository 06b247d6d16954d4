package io.jflannel.backend;

import static io.jflannel.backend.Leases.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jflannel.netlink.Addr;
import io.jflannel.netlink.Errno;
import io.jflannel.netlink.Link;
import io.jflannel.netlink.NetlinkEvent;
import io.jflannel.netlink.NetlinkException;
import io.jflannel.subnet.IpNet;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class UnderlayTest {
  final FakeNetlink nl = new FakeNetlink();
  final Underlay u = new Underlay(nl, ExternalInterface.ipv4("eth0", 2, ip("192.0.2.1"), 1500));

  static Link eth0(int index, int flags) {
    return new Link(index, "eth0", "veth", 1500, null, flags, (flags & Link.IFF_UP) != 0, 0, null);
  }

  static final int UP = Link.IFF_UP | Link.IFF_LOWER_UP;

  void addresses(int index, String... cidrs) {
    nl.addrList.clear();
    for (String c : cidrs) {
      IpNet n = IpNet.parse(c);
      nl.addrList.add(new Addr(index, n.address(), n.prefixLength()));
    }
  }

  String why(String addr) {
    return u.notANode(ip(addr)).orElse(null);
  }

  @Test
  void addressesNoNodeCanHaveAreNamed() throws Exception {
    nl.links.put(2, eth0(2, UP));
    addresses(2, "192.0.2.1/24", "198.51.100.5/30", "203.0.113.9/31", "fd00:1::5/64", "fd00:2::1/127");
    assertTrue(u.refresh());
    assertEquals("this node's own address (eth0)", why("192.0.2.1"));
    assertEquals("this node's own address (eth0)", why("198.51.100.5"));
    assertEquals("the broadcast address of 192.0.2.0/24 on eth0", why("192.0.2.255"));
    assertEquals("the network address of 192.0.2.0/24 on eth0", why("192.0.2.0"));
    assertEquals("the broadcast address of 198.51.100.4/30 on eth0", why("198.51.100.7"));
    assertEquals("the network address of 198.51.100.4/30 on eth0", why("198.51.100.4"));
    assertEquals(null, why("198.51.100.6"));
    assertEquals(null, why("192.0.2.2"));
    assertEquals(null, why("192.0.2.254"));
    assertEquals(null, why("203.0.113.8"), "a /31 has no network address (RFC 3021)");
    assertEquals(null, why("10.0.0.255"), "not on a connected network");
    assertEquals("the subnet-router anycast address of " + IpNet.parse("fd00:1::/64") + " on eth0", why("fd00:1::"));
    assertEquals("this node's own address (eth0)", why("fd00:1::5"));
    assertEquals(null, why("fd00:1::ffff:ffff:ffff:ffff"), "IPv6 has no broadcast address");
    assertEquals(null, why("fd00:2::"), "a /127 is two hosts (RFC 6164)");
    assertEquals(List.of(IpNet.parse("192.0.2.0/24"), IpNet.parse("198.51.100.4/30"), IpNet.parse("203.0.113.8/31")),
        u.connectedIpv4());
    assertFalse(u.refresh(), "nothing changed");
  }

  @Test
  void theAdvertisedAddressIsOursEvenWhenTheInterfaceDoesNotHoldIt() throws Exception {
    Underlay nat = new Underlay(nl, new ExternalInterface("eth0", 2, ip("192.0.2.1"), null, ip("203.0.113.7"), null, 1500));
    assertEquals(Optional.of("this node's own address (eth0)"), nat.notANode(ip("203.0.113.7")));
    assertEquals(Optional.of("this node's own address (eth0)"), nat.notANode(ip("192.0.2.1")));
    var r = nat.peerCheck().check(Leases.vxlan("10.244.2.0/24", "203.0.113.7", "2a:00:00:00:00:02"));
    assertEquals(RejectReason.PUBLIC_IP_INVALID, r.orElseThrow().reason());
    assertEquals("public IP 203.0.113.7 is this node's own address (eth0)", r.orElseThrow().detail());
  }

  @Test
  void aDeletedInterfaceIsFoundAgainByName() throws Exception {
    nl.links.put(2, eth0(2, UP));
    addresses(2, "192.0.2.1/24");
    u.refresh();
    nl.links.clear();
    NetlinkException gone = assertThrows(NetlinkException.class, u::refresh);
    assertEquals(Errno.ENODEV, gone.errno());
    assertTrue(gone.getMessage().contains("the external interface eth0 is gone"), gone.getMessage());
    nl.links.put(9, eth0(9, UP));
    addresses(9, "192.0.2.1/24");
    assertTrue(u.refresh(), "a new index is a change");
    assertEquals(9, u.index());
    // Index 9 reused by another link later: the name decides.
    nl.links.put(9, new Link(9, "other", "veth", 1500, null, UP, true, 0, null));
    nl.links.put(11, eth0(11, UP));
    addresses(11, "192.0.2.1/24");
    assertTrue(u.refresh());
    assertEquals(11, u.index());
  }

  @Test
  void notificationsThatAskForAPass() throws Exception {
    nl.links.put(2, eth0(2, UP));
    addresses(2, "192.0.2.1/24");
    u.refresh();
    assertFalse(u.concerns(new NetlinkEvent.LinkChanged(eth0(2, UP))), "no change");
    assertFalse(u.concerns(new NetlinkEvent.LinkChanged(eth0(2, 0))), "down: nothing to do until it is back");
    assertTrue(u.concerns(new NetlinkEvent.LinkChanged(eth0(2, Link.IFF_UP))), "admin up");
    assertTrue(u.concerns(new NetlinkEvent.LinkChanged(eth0(2, UP))), "carrier back");
    assertFalse(u.concerns(new NetlinkEvent.LinkChanged(eth0(2, UP))), "the same state again");
    assertFalse(u.concerns(new NetlinkEvent.LinkChanged(eth0(2, Link.IFF_LOWER_UP))), "carrier without admin up");
    assertTrue(u.concerns(new NetlinkEvent.LinkChanged(eth0(7, UP))), "created again under its name");
    assertFalse(u.concerns(new NetlinkEvent.LinkChanged(new Link(8, "eth1", "veth", 1500, null, UP, true, 0, null))));
    assertFalse(u.concerns(new NetlinkEvent.LinkDeleted(eth0(2, 0))), "gone: nothing to do until it is back");
    assertTrue(u.concerns(new NetlinkEvent.AddrAdded(new Addr(2, ip("198.51.100.1"), 24))));
    assertTrue(u.concerns(new NetlinkEvent.AddrDeleted(new Addr(2, ip("192.0.2.1"), 24))));
    assertFalse(u.concerns(new NetlinkEvent.AddrAdded(new Addr(3, ip("198.51.100.1"), 24))));
  }

  @Test
  void anAddressChangeIsAChange() throws Exception {
    nl.links.put(2, eth0(2, UP));
    addresses(2, "192.0.2.1/24");
    u.refresh();
    assertEquals(null, why("198.51.100.255"));
    addresses(2, "192.0.2.1/24", "198.51.100.1/24");
    assertTrue(u.refresh());
    assertEquals("the broadcast address of 198.51.100.0/24 on eth0", why("198.51.100.255"));
  }
}
