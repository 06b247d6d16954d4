package io.jflannel.daemon.iface;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jflannel.daemon.iface.InterfaceInventory.Address;
import io.jflannel.daemon.iface.InterfaceInventory.Iface;
import io.jflannel.daemon.iface.InterfaceInventory.RouteHit;
import io.jflannel.daemon.iface.InterfaceSelector.Request;
import io.jflannel.daemon.iface.InterfaceSelector.Selection;
import io.jflannel.subnet.IpLiteral;
import java.net.InetAddress;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class InterfaceSelectorTest {

  static InetAddress ip(String s) {
    return IpLiteral.parse(s);
  }

  static Address global(String s) {
    return new Address(ip(s), 24, true, true);
  }

  static final Iface LO = new Iface(1, "lo", 65536, List.of(new Address(ip("127.0.0.1"), 8, false, true)));
  static final Iface ETH0 = new Iface(2, "eth0", 1500, List.of(
      new Address(ip("10.0.0.5"), 24, true, false),
      new Address(ip("10.0.0.6"), 24, true, true),
      new Address(ip("fe80::1"), 64, false, true),
      new Address(ip("2001:db8::5"), 64, true, true)));
  static final Iface ETH1 = new Iface(3, "eth1", 9000, List.of(global("192.0.2.7")));
  static final Iface VETH = new Iface(4, "veth-x", 1500, List.of(new Address(ip("169.254.3.3"), 16, false, true)));

  record Fake(List<Iface> all, Map<Boolean, Integer> defaults, Map<InetAddress, RouteHit> routes)
      implements InterfaceInventory {
    @Override
    public List<Iface> interfaces() {
      return all;
    }

    @Override
    public Optional<Integer> defaultRouteInterface(boolean ipv6) {
      return Optional.ofNullable(defaults.get(ipv6));
    }

    @Override
    public Optional<RouteHit> routeTo(InetAddress dst) {
      return Optional.ofNullable(routes.get(dst));
    }
  }

  final Fake fake = new Fake(List.of(LO, ETH0, ETH1, VETH), Map.of(false, 2, true, 2),
      Map.of(ip("198.51.100.1"), new RouteHit(3, ip("192.0.2.7"))));
  final InterfaceSelector selector = new InterfaceSelector(fake);

  static Request v4(List<String> names, List<String> regexes, String canReach, String publicIp) {
    return new Request(false, names, regexes.stream().map(Pattern::compile).toList(),
        Optional.ofNullable(canReach).map(InterfaceSelectorTest::ip),
        Optional.ofNullable(publicIp).map(InterfaceSelectorTest::ip));
  }

  @Test
  void defaultRouteInterfacePrefersPermanentGlobalAddress() throws Exception {
    Selection s = selector.select(v4(List.of(), List.of(), null, null));
    assertEquals("eth0", s.iface().name());
    assertEquals(ip("10.0.0.6"), s.address());
  }

  @Test
  void defaultRouteForIpv6SkipsLinkLocal() throws Exception {
    Selection s = selector.select(new Request(true, List.of(), List.of(), Optional.empty(), Optional.empty()));
    assertEquals(ip("2001:db8::5"), s.address());
  }

  @Test
  void publicIpOwnerWinsOverDefaultRoute() throws Exception {
    Selection s = selector.select(v4(List.of(), List.of(), null, "192.0.2.7"));
    assertEquals("eth1", s.iface().name());
    assertEquals(ip("192.0.2.7"), s.address());
  }

  @Test
  void publicIpOwnedByNoInterfaceIsAnErrorNamingIt() {
    InterfaceSelectionException e = assertThrows(InterfaceSelectionException.class,
        () -> selector.select(v4(List.of(), List.of(), null, "203.0.113.9")));
    assertTrue(e.getMessage().contains("203.0.113.9"), e.getMessage());
    assertTrue(e.getMessage().contains("--public-ip"), e.getMessage());
  }

  @Test
  void publicIpIsNotRequiredToBeLocalWhenAnIfaceFlagChoosesTheInterface() throws Exception {
    Selection s = selector.select(v4(List.of("eth0"), List.of(), null, "203.0.113.9"));
    assertEquals("eth0", s.iface().name());
  }

  @Test
  void ifaceByNameThenByIpFirstMatchWins() throws Exception {
    assertEquals("eth1", selector.select(v4(List.of("nope", "eth1", "eth0"), List.of(), null, null)).iface().name());
    Selection byIp = selector.select(v4(List.of("10.0.0.5"), List.of(), null, null));
    assertEquals("eth0", byIp.iface().name());
    assertEquals(ip("10.0.0.5"), byIp.address());
  }

  @Test
  void regexMatchesAddressesBeforeNames() throws Exception {
    // "eth" would match eth0 by name, but 192\.0 matches eth1's address first.
    Selection s = selector.select(v4(List.of(), List.of("^192\\.0\\.", "eth"), null, null));
    assertEquals("eth1", s.iface().name());
    Selection byName = selector.select(v4(List.of(), List.of("^eth1$"), null, null));
    assertEquals(ip("192.0.2.7"), byName.address());
  }

  @Test
  void ifaceFlagsAreTriedBeforeRegexes() throws Exception {
    Selection s = selector.select(v4(List.of("eth0"), List.of("^192"), null, null));
    assertEquals("eth0", s.iface().name());
  }

  @Test
  void canReachUsesTheRouteLookup() throws Exception {
    Selection s = selector.select(v4(List.of(), List.of(), "198.51.100.1", null));
    assertEquals("eth1", s.iface().name());
    assertEquals(ip("192.0.2.7"), s.address());
  }

  @Test
  void linkLocalOnlyInterfaceStillUsableWhenNamed() throws Exception {
    assertEquals(ip("169.254.3.3"), selector.select(v4(List.of("veth-x"), List.of(), null, null)).address());
  }

  @Test
  void nothingMatchedNamesEverythingTried() {
    InterfaceSelectionException e = assertThrows(InterfaceSelectionException.class,
        () -> selector.select(v4(List.of("eth9", "10.9.9.9"), List.of("^zz"), "203.0.113.1", null)));
    String m = e.getMessage();
    assertTrue(m.contains("--iface=eth9 (no such interface)"), m);
    assertTrue(m.contains("--iface=10.9.9.9"), m);
    assertTrue(m.contains("--iface-regex=^zz"), m);
    assertTrue(m.contains("--iface-can-reach=203.0.113.1"), m);
  }

  @Test
  void noDefaultRouteIsAClearError() {
    InterfaceSelector none = new InterfaceSelector(new Fake(List.of(LO), Map.of(), Map.of()));
    InterfaceSelectionException e = assertThrows(InterfaceSelectionException.class,
        () -> none.select(v4(List.of(), List.of(), null, null)));
    assertTrue(e.getMessage().contains("IPv4 default route not found"), e.getMessage());
  }
}
