package io.jflannel.daemon.iface;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jflannel.daemon.iface.InterfaceSelector.Request;
import io.jflannel.daemon.iface.InterfaceSelector.Selection;
import io.jflannel.daemon.testing.TestNetns;
import io.jflannel.netlink.NetNs;
import io.jflannel.netlink.Netlink;
import io.jflannel.subnet.IpLiteral;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Interface selection against a real kernel: a namespace with three veth interfaces, several
 * addresses, a default route and a static route, read through netlink.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class InterfaceSelectionNetnsTest {
  TestNetns ns;
  Netlink netlink;
  InterfaceSelector selector;

  @BeforeAll
  void setUp() throws Exception {
    ns = TestNetns.create();
    ns.run("ip", "link", "set", "lo", "up");
    for (String i : List.of("eth0", "eth1", "eth2", "eth3")) {
      ns.run("ip", "link", "add", i, "type", "veth", "peer", "name", i + "-p");
      ns.run("ip", "link", "set", i + "-p", "up");
      ns.run("ip", "link", "set", i, "up");
    }
    ns.run("ip", "addr", "add", "192.0.2.5/24", "dev", "eth0");
    ns.run("ip", "addr", "add", "198.51.100.7/24", "dev", "eth1");
    ns.run("ip", "addr", "add", "198.51.100.8/24", "dev", "eth1");
    ns.run("ip", "addr", "add", "169.254.9.9/16", "dev", "eth2");
    // Listed first but dynamic (finite lifetime), then link scope, then the one to pick.
    ns.run("ip", "addr", "add", "203.0.113.50/24", "dev", "eth3", "valid_lft", "300", "preferred_lft", "300");
    ns.run("ip", "addr", "add", "10.9.9.9/24", "dev", "eth3", "scope", "link");
    ns.run("ip", "addr", "add", "203.0.113.60/24", "dev", "eth3");
    ns.run("ip", "route", "add", "default", "via", "192.0.2.1", "dev", "eth0");
    ns.run("ip", "route", "add", "198.18.0.0/15", "via", "198.51.100.1", "dev", "eth1");
    netlink = Netlink.open(new NetNs(ns.name()));
    selector = new InterfaceSelector(new NetlinkInventory(netlink));
  }

  @AfterAll
  void tearDown() {
    if (netlink != null) {
      netlink.close();
    }
    if (ns != null) {
      ns.close();
    }
  }

  static Request req(List<String> names, List<String> regexes, String canReach, String publicIp) {
    return new Request(false, names, regexes.stream().map(Pattern::compile).toList(),
        Optional.ofNullable(canReach).map(IpLiteral::parse),
        Optional.ofNullable(publicIp).map(IpLiteral::parse));
  }

  void expect(Request r, String iface, String address) throws Exception {
    Selection s = selector.select(r);
    assertEquals(iface, s.iface().name());
    assertEquals(address, IpLiteral.format(s.address()));
    assertTrue(s.iface().mtu() > 0);
  }

  @Test
  void defaultRoute() throws Exception {
    expect(req(List.of(), List.of(), null, null), "eth0", "192.0.2.5");
  }

  @Test
  void publicIpOwner() throws Exception {
    expect(req(List.of(), List.of(), null, "198.51.100.8"), "eth1", "198.51.100.8");
  }

  @Test
  void ifaceByNameTakesThePrimaryAddress() throws Exception {
    expect(req(List.of("eth1"), List.of(), null, null), "eth1", "198.51.100.7");
  }

  @Test
  void globalPermanentAddressBeatsDynamicAndLinkScope() throws Exception {
    expect(req(List.of("eth3"), List.of(), null, null), "eth3", "203.0.113.60");
  }

  @Test
  void ifaceByAddress() throws Exception {
    expect(req(List.of("198.51.100.8"), List.of(), null, null), "eth1", "198.51.100.8");
  }

  @Test
  void regexOnAddressThenOnName() throws Exception {
    expect(req(List.of(), List.of("^198\\.51\\.100\\.8$"), null, null), "eth1", "198.51.100.8");
    expect(req(List.of(), List.of("^eth2$"), null, null), "eth2", "169.254.9.9");
  }

  @Test
  void canReachFollowsTheKernelsRoute() throws Exception {
    expect(req(List.of(), List.of(), "198.18.0.9", null), "eth1", "198.51.100.7");
  }

  @Test
  void nothingMatches() {
    InterfaceSelectionException e = assertThrows(InterfaceSelectionException.class,
        () -> selector.select(req(List.of("eth9"), List.of("^172\\."), null, null)));
    assertTrue(e.getMessage().contains("--iface=eth9 (no such interface)"), e.getMessage());
  }
}
