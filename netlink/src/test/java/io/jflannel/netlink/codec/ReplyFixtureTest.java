package io.jflannel.netlink.codec;

import static io.jflannel.netlink.codec.Nl.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jflannel.netlink.Addr;
import io.jflannel.netlink.Errno;
import io.jflannel.netlink.FdbEntry;
import io.jflannel.netlink.Link;
import io.jflannel.netlink.MacAddress;
import io.jflannel.netlink.Neigh;
import io.jflannel.netlink.Route;
import io.jflannel.netlink.VxlanAttrs;
import java.net.InetAddress;
import java.util.List;
import java.util.Objects;
import org.junit.jupiter.api.Test;

/** Decodes kernel replies captured with strace (fixtures/README.md). */
class ReplyFixtureTest {
  private static InetAddress ip(String s) throws Exception {
    return InetAddress.getByName(s);
  }

  private static Link linkNamed(String fixture, String name) {
    return Fixture.load(fixture).received(RTM_NEWLINK).stream()
        .map(m -> Replies.link(m.buf(), 0)).filter(l -> name.equals(l.name())).findFirst()
        .orElseThrow(() -> new AssertionError("no link " + name + " in " + fixture));
  }

  @Test
  void linkDumpCarriesVxlanAttributes() throws Exception {
    Link veth0 = linkNamed("link-dump", "veth0");
    assertEquals("veth", veth0.kind());
    assertTrue(veth0.vxlan().isEmpty());
    Link f1 = linkNamed("link-dump", "flannel.1");
    assertEquals("vxlan", f1.kind());
    assertEquals(1450, f1.mtu());
    assertTrue(f1.up());
    assertEquals(new VxlanAttrs(1, veth0.index(), ip("192.0.2.1"), 8472, false, false, 0), f1.vxlan().orElseThrow());
    Link f2 = linkNamed("link-dump", "flannel.2");
    assertEquals(1300, f2.mtu());
    assertEquals(MacAddress.parse("2a:95:ed:10:e4:58"), f2.hardwareAddress());
    assertEquals(new VxlanAttrs(2, veth0.index(), ip("192.0.2.1"), 4789, true, true, 64), f2.vxlan().orElseThrow());
    Link v6 = linkNamed("link-dump", "flannel-v6.1");
    assertEquals(ip("2001:db8::1"), v6.vxlan().orElseThrow().local());
    Link lo = linkNamed("link-dump", "lo");
    assertTrue(lo.hardwareAddress().isZero());
    assertNull(lo.kind());
  }

  @Test
  void addrDump() throws Exception {
    List<Addr> addrs = Fixture.load("addr-dump").received(RTM_NEWADDR).stream()
        .map(m -> Replies.addr(m.buf(), 0)).toList();
    Link f1 = linkNamed("link-dump", "flannel.1");
    assertTrue(addrs.contains(new Addr(f1.index(), ip("10.244.1.0"), 32)), addrs.toString());
  }

  @Test
  void routeDumpHasOnlinkRouteBlackholeAndPrefsrc() throws Exception {
    List<Route> routes = Fixture.load("route-dump").received(RTM_NEWROUTE).stream()
        .map(m -> Replies.route(m.buf(), 0)).filter(Objects::nonNull).toList();
    int f1 = linkNamed("link-dump", "flannel.1").index();
    assertTrue(routes.contains(Route.via(ip("10.244.2.0"), 24, ip("10.244.2.0"), f1).onlink()), routes.toString());
    assertTrue(routes.contains(Route.blackhole(ip("10.244.9.0"), 24)), routes.toString());
    assertTrue(routes.contains(Route.dev(ip("10.244.4.0"), 24, f1).withPrefSrc(ip("10.244.1.0")).withPriority(5)
        .withProtocol(Route.PROTO_STATIC)), routes.toString());
  }

  @Test
  void neighAndFdbDumps() throws Exception {
    int f1 = linkNamed("link-dump", "flannel.1").index();
    MacAddress vtep = MacAddress.parse("2a:95:ed:10:e4:56");
    List<Fixture.Msg> neighMsgs = Fixture.load("neigh-dump").received(RTM_NEWNEIGH);
    List<Neigh> neighs = neighMsgs.stream().filter(m -> Replies.neighFamily(m.buf(), 0) == 2)
        .map(m -> Replies.neigh(m.buf(), 0)).toList();
    assertTrue(neighs.contains(Neigh.permanent(f1, ip("10.244.2.0"), vtep)), neighs.toString());
    List<FdbEntry> fdb = Fixture.load("fdb-dump").received(RTM_NEWNEIGH).stream()
        .filter(m -> Replies.neighFamily(m.buf(), 0) == 7).map(m -> Replies.fdb(m.buf(), 0)).toList();
    assertTrue(fdb.contains(FdbEntry.permanentSelf(f1, vtep, ip("192.0.2.2"))), fdb.toString());
  }

  @Test
  void routeGetReplyNamesOutputLinkAndSource() throws Exception {
    Fixture f = Fixture.load("route-get");
    Route r = Replies.route(f.received(RTM_NEWROUTE).get(0).buf(), 0);
    int f1 = linkNamed("link-dump", "flannel.1").index();
    assertEquals(f1, r.linkIndex());
    assertEquals(ip("10.244.1.0"), r.prefSrc());
    assertEquals(ip("10.244.2.0"), r.gateway());
    assertEquals(ip("10.244.2.5"), r.dst());
  }

  @Test
  void errorAcksCarryErrnoAndExtendedAckText() {
    Fixture.Msg exists = Fixture.load("route-exists").received(NLMSG_ERROR).get(0);
    assertEquals(Errno.EEXIST, Replies.errno(exists.buf(), 0));
    Fixture.Msg bad = Fixture.load("route-badgw").received(NLMSG_ERROR).get(0);
    assertEquals(Errno.ENETUNREACH, Replies.errno(bad.buf(), 0));
    // iproute2 does not set NETLINK_CAP_ACK: the whole request is echoed before the TLVs
    assertFalse((bad.flags() & NLM_F_CAPPED) != 0);
    assertEquals("Nexthop has invalid gateway", Replies.extAck(bad.buf(), 0));
    Fixture.Msg ok = Fixture.load("vxlan-add").received(NLMSG_ERROR).stream()
        .filter(m -> Replies.errno(m.buf(), 0) == 0).findFirst().orElseThrow();
    assertTrue((ok.flags() & NLM_F_CAPPED) != 0, "plain ACKs are capped");
    assertNull(Replies.extAck(ok.buf(), 0));
    assertEquals(Replies.seq(ok.buf(), 0), Replies.errorRequestSeq(ok.buf(), 0));
  }

  @Test
  void dumpsEndWithDone() {
    for (String f : List.of("link-dump", "route-dump", "neigh-dump", "fdb-dump", "addr-dump")) {
      List<Fixture.Msg> done = Fixture.load(f).received(NLMSG_DONE);
      assertFalse(done.isEmpty(), f);
      assertEquals(0, Replies.doneErrno(done.get(done.size() - 1).buf(), 0), f);
    }
  }
}
