package io.jflannel.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.jflannel.netlink.FdbEntry;
import io.jflannel.netlink.MacAddress;
import io.jflannel.netlink.Neigh;
import io.jflannel.netlink.Route;
import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Desired objects are found by slot, whatever their content (decision 0856). */
class DesiredIndexTest {
  private static InetAddress ip(String s) throws Exception {
    return InetAddress.getByName(s);
  }

  /** A vxlan peer: neighbour, FDB entry and route, the subnet address shared by two of them. */
  private static PeerObjects vxlan(String subnet, String publicIp, String mac) throws Exception {
    InetAddress gw = ip(subnet);
    MacAddress m = MacAddress.parse(mac);
    return new PeerObjects(List.of(Neigh.permanent(7, gw, m)), List.of(FdbEntry.permanentSelf(7, m, ip(publicIp))),
        List.of(Route.via(gw, 24, gw, 7).onlink()));
  }

  @Test
  void objectsAreFoundBySlotNotByContent() throws Exception {
    DesiredIndex d = new DesiredIndex();
    PeerObjects p = vxlan("10.244.2.0", "192.0.2.2", "2a:00:00:00:00:02");
    d.add(p);
    assertEquals(2, d.entries(), "the subnet address once, the public IP once");
    // The kernel reports the slot with other content: still the desired object of that slot.
    assertSame(p.routes().get(0), d.route(Route.via(ip("10.244.2.0"), 24, ip("192.0.2.99"), 3)));
    assertSame(p.neighs().get(0), d.neigh(Neigh.permanent(7, ip("10.244.2.0"), MacAddress.parse("2a:00:00:00:00:99"))));
    assertSame(p.fdb().get(0), d.fdb(FdbEntry.permanentSelf(7, MacAddress.parse("2a:00:00:00:00:02"), ip("192.0.2.2"))));
    // Other slots: another prefix length, table, device, MAC or destination.
    assertNull(d.route(Route.via(ip("10.244.2.0"), 25, ip("10.244.2.0"), 7)));
    assertNull(d.route(Route.via(ip("10.244.2.0"), 24, ip("10.244.2.0"), 7).withTable(9)));
    assertNull(d.route(Route.via(ip("10.244.3.0"), 24, ip("10.244.3.0"), 7)));
    assertNull(d.neigh(Neigh.permanent(8, ip("10.244.2.0"), MacAddress.parse("2a:00:00:00:00:02"))));
    assertNull(d.fdb(FdbEntry.permanentSelf(7, MacAddress.parse("2a:00:00:00:00:03"), ip("192.0.2.2"))));
    assertNull(d.fdb(FdbEntry.permanentSelf(7, MacAddress.parse("2a:00:00:00:00:02"), ip("192.0.2.3"))));
    d.remove(p);
    assertNull(d.route(p.routes().get(0)));
    assertNull(d.neigh(p.neighs().get(0)));
    assertNull(d.fdb(p.fdb().get(0)));
    assertEquals(0, d.entries());
  }

  @Test
  void peersSharingAnAddressKeepEachOthersObjects() throws Exception {
    DesiredIndex d = new DesiredIndex();
    PeerObjects a = vxlan("10.244.2.0", "192.0.2.2", "2a:00:00:00:00:02");
    PeerObjects b = vxlan("10.244.3.0", "192.0.2.2", "2a:00:00:00:00:03"); // same public IP
    PeerObjects c = vxlan("10.244.4.0", "192.0.2.2", "2a:00:00:00:00:04");
    d.add(a);
    d.add(b);
    d.add(c);
    d.add(b); // again: no change
    assertEquals(4, d.entries());
    assertSame(a.fdb().get(0), d.fdb(a.fdb().get(0)));
    assertSame(b.fdb().get(0), d.fdb(b.fdb().get(0)));
    assertSame(c.fdb().get(0), d.fdb(c.fdb().get(0)));
    d.remove(b);
    d.remove(b); // again: no change
    assertNull(d.fdb(b.fdb().get(0)));
    assertNull(d.route(b.routes().get(0)));
    assertSame(a.fdb().get(0), d.fdb(a.fdb().get(0)));
    assertSame(c.fdb().get(0), d.fdb(c.fdb().get(0)));
    d.remove(a);
    assertSame(c.fdb().get(0), d.fdb(c.fdb().get(0)));
    assertNull(d.fdb(a.fdb().get(0)));
    // An equal but distinct instance is not the one held: removing it changes nothing.
    d.remove(vxlan("10.244.4.0", "192.0.2.2", "2a:00:00:00:00:04"));
    assertSame(c.routes().get(0), d.route(c.routes().get(0)));
    d.remove(c);
    assertEquals(0, d.entries());
  }

  @Test
  void aHostGwPeerIsOneEntry() throws Exception {
    DesiredIndex d = new DesiredIndex();
    PeerObjects p = PeerObjects.route(Route.via(ip("10.244.2.0"), 24, ip("192.0.2.2"), 2));
    d.add(p);
    assertEquals(1, d.entries());
    assertSame(p.routes().get(0), d.route(Route.via(ip("10.244.2.0"), 24, ip("192.0.2.2"), 2)));
    assertNull(d.neigh(Neigh.permanent(2, ip("10.244.2.0"), MacAddress.parse("2a:00:00:00:00:02"))));
  }
}
