package io.jflannel.daemon.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jflannel.daemon.testing.TestNetns;
import io.jflannel.netlink.NetNs;
import io.jflannel.netlink.Netlink;
import io.jflannel.subnet.IpNet;
import io.jflannel.subnet.Lease;
import io.jflannel.subnet.LeaseAttrs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** --ip-blackhole-route in a namespace of its own: installed, and put back after a delete. */
class BlackholeRoutesNetnsTest {
  TestNetns ns;
  Netlink netlink;

  @AfterEach
  void tearDown() {
    if (netlink != null) {
      netlink.close();
    }
    if (ns != null) {
      ns.close();
    }
  }

  String blackholes() {
    return ns.run("ip", "-4", "route", "show", "type", "blackhole").strip() + "|"
        + ns.run("ip", "-6", "route", "show", "type", "blackhole").strip();
  }

  @Test
  void deletedRouteIsPutBackByTheNextCheck() throws Exception {
    ns = TestNetns.create();
    ns.run("ip", "link", "set", "lo", "up");
    netlink = Netlink.open(new NetNs(ns.name()));
    Lease lease = new Lease(IpNet.parse("10.5.7.0/24"), IpNet.parse("fc00:0:0:7::/64"),
        new LeaseAttrs(null, null, "host-gw", null, null), null);
    BlackholeRoutes routes = new BlackholeRoutes(netlink, lease);
    routes.install();
    String installed = blackholes();
    assertTrue(installed.contains("blackhole 10.5.7.0/24"), installed);
    assertTrue(installed.contains("blackhole fc00:0:0:7::/64"), installed);

    assertEquals(0, routes.check(), "nothing to do while both routes are there");

    ns.run("ip", "route", "del", "blackhole", "10.5.7.0/24");
    ns.run("ip", "-6", "route", "del", "blackhole", "fc00:0:0:7::/64");
    assertEquals("|", blackholes());
    assertEquals(2, routes.check());
    assertEquals(installed, blackholes());
    routes.close();
  }
}
