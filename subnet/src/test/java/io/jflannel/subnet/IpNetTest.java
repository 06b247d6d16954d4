package io.jflannel.subnet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.net.InetAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IpNetTest {

  private static InetAddress ip(String s) throws Exception {
    return InetAddress.getByName(s);
  }

  @Test
  void parsesIpv4NetworksAndHostForms() throws Exception {
    IpNet net = IpNet.parse("10.244.0.0/16");
    assertEquals(ip("10.244.0.0"), net.address());
    assertEquals(16, net.prefixLength());
    assertTrue(net.isIpv4());
    assertEquals("10.244.0.0/16", net.toString());
    assertEquals("10.244.0.0", net.ip());

    IpNet host = IpNet.parse("10.244.1.1/24");
    assertEquals(ip("10.244.1.1"), host.address());
    assertEquals("10.244.1.1/24", host.toString());
    assertFalse(host.isNetworkAddress());
    assertEquals(IpNet.parse("10.244.1.0/24"), host.network());

    assertEquals(32, IpNet.parse("192.0.2.7").prefixLength());
    assertEquals(0, IpNet.parse("0.0.0.0/0").prefixLength());
  }

  @Test
  void parsesIpv6WithCanonicalText() throws Exception {
    IpNet net = IpNet.parse("fc00:0000:0000:0001:0000:0000:0000:0000/64");
    assertFalse(net.isIpv4());
    assertEquals(128, net.bitCount());
    assertEquals("fc00:0:0:1::", net.ip());
    assertEquals("fc00:0:0:1::/64", net.toString());
    assertEquals("fc00:0:0:1::-64", net.toKey());
    assertEquals("fc00::/48", IpNet.parse("fc00::/48").toString());
    assertEquals("2001:db8::1/64", IpNet.parse("2001:DB8::1/64").toString());
    assertEquals(128, IpNet.parse("fc00::1").prefixLength());
  }

  @Test
  void keyForm() {
    assertEquals("10.5.52.0-24", IpNet.parse("10.5.52.0/24").toKey());
    assertEquals("fc00:0:0:1::-64", IpNet.parse("fc00:0:0:1::/64").toKey());
  }

  /** Strict: nothing a reader elsewhere could take for another network, nothing around it. */
  @ParameterizedTest
  @ValueSource(strings = {"", " ", "10.0.0.0/33", "fc00::/129", "10.0.0.256/8", "hello", "10.0.0.0/-1",
      " 10.1.2.0/24", "10.1.2.0/24 ", "10.1.2.0 /24", "10.1.2.0/ 24", "10.1.2.0/24\n", "012.1.2.0/24", "10.01.2.0/24",
      "0xa.1.2.0/24", "10.1.2/24", "10.1.512/24", "167838208/24", "10.1.2.0/024", "10.1.2.0/+24", "10.1.2.0/",
      "10.1.2.0/24/1", "::ffff:10.1.2.0/120", "::ffff:10.1.2.0/24", "fe80::%eth0/64", "fc00::/064", "10.1.2.*/24",
      "10.1.2.0-10.1.2.255", "[fc00::]/48"})
  void lenientAndBadCidrsAreRejected(String text) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IpNet.parse(text));
    assertFalse(e.getMessage().isEmpty());
  }

  @Test
  void parseNetworkWantsAPrefixAndNoHostBits() {
    assertEquals(IpNet.parse("10.244.2.0/24"), IpNet.parseNetwork("10.244.2.0/24"));
    assertEquals(IpNet.parse("fd00:10:244:1::/64"), IpNet.parseNetwork("FD00:10:244:1::/64"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IpNet.parseNetwork("10.244.2.5/24"));
    assertTrue(e.getMessage().contains("host bits") && e.getMessage().contains("10.244.2.0/24"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> IpNet.parseNetwork("10.244.2.0"));
    assertThrows(IllegalArgumentException.class, () -> IpNet.parseNetwork("fd00:10:244:1::1/64"));
    e = assertThrows(IllegalArgumentException.class, () -> IpNet.parseNetwork("012.244.2.0/24"));
    assertTrue(e.getMessage().contains("\"012\" has a leading zero"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> IpNet.parseNetwork(null));
  }

  @Test
  void firstAndLastV4AreUnsignedNumbers() {
    assertEquals(0x0AF40100L, IpNet.parse("10.244.1.77/24").firstV4());
    assertEquals(0x0AF401FFL, IpNet.parse("10.244.1.77/24").lastV4());
    assertEquals(0xC8000000L, IpNet.parse("200.0.0.0/8").firstV4());
    assertEquals(0xC8FFFFFFL, IpNet.parse("200.0.0.0/8").lastV4());
    assertEquals(0L, IpNet.parse("10.0.0.0/0").firstV4());
    assertEquals(0xFFFFFFFFL, IpNet.parse("10.0.0.0/0").lastV4());
    assertEquals(0xFFFFFFFFL, IpNet.parse("255.255.255.255/32").firstV4());
    assertEquals(0xFFFFFFFFL, IpNet.parse("255.255.255.255/32").lastV4());
    assertThrows(IllegalStateException.class, () -> IpNet.parse("fc00::/64").firstV4());
    assertThrows(IllegalStateException.class, () -> IpNet.parse("fc00::/64").lastV4());
  }

  @Test
  void constructorChecksPrefixRange() throws Exception {
    assertThrows(IllegalArgumentException.class, () -> new IpNet(ip("10.0.0.0"), 33));
    assertThrows(IllegalArgumentException.class, () -> new IpNet(ip("fc00::"), 129));
    assertThrows(IllegalArgumentException.class, () -> new IpNet(ip("10.0.0.0"), -1));
    assertThrows(NullPointerException.class, () -> new IpNet(null, 8));
  }

  @Test
  void firstHost() {
    assertEquals(IpNet.parse("10.244.1.1/24"), IpNet.parse("10.244.1.0/24").firstHost());
    assertEquals(IpNet.parse("10.244.1.1/24"), IpNet.parse("10.244.1.77/24").firstHost());
    assertEquals(IpNet.parse("fc00:0:0:1::1/64"), IpNet.parse("fc00:0:0:1::/64").firstHost());
    assertEquals("fc00:0:0:1::1/64", IpNet.parse("fc00:0:0:1::/64").firstHost().toString());
  }

  /** The hand-written IPv4 parse and numbers must give what the library gives. */
  @Test
  void ipv4ParseFastPathAgreesWithTheLibrary() throws Exception {
    java.util.Random rnd = new java.util.Random(7);
    for (int i = 0; i < 20_000; i++) {
      String addr = rnd.nextInt(256) + "." + rnd.nextInt(256) + "." + rnd.nextInt(256) + "." + rnd.nextInt(256);
      int prefix = rnd.nextInt(33);
      inet.ipaddr.IPAddress lib = new inet.ipaddr.IPAddressString(addr + "/" + prefix).toAddress();
      IpNet n = IpNet.parse(addr + "/" + prefix);
      assertEquals(lib.getLower().withoutPrefixLength().toInetAddress(), n.address(), addr + "/" + prefix);
      assertEquals(prefix, n.prefixLength());
      assertEquals(IpNet.of(ip(addr), 32), IpNet.parse(addr));
      assertEquals(ip(addr), IpLiteral.parse(addr));
      assertEquals(lib.getLower().toPrefixBlock(prefix).getLower().getValue().longValueExact(), n.firstV4(), "first of " + n);
      assertEquals(lib.toPrefixBlock(prefix).getUpper().getValue().longValueExact(), n.lastV4(), "last of " + n);
      inet.ipaddr.IPAddress block = new inet.ipaddr.ipv4.IPv4Address((java.net.Inet4Address) ip(addr)).toPrefixBlock(prefix);
      assertEquals(block.getLower().withoutPrefixLength().toInetAddress(), n.network().address(), "network of " + n);
    }

  }

  @Test
  void ipv4FastPathsAgreeWithTheIpAddressLibrary() throws Exception {
    java.util.Random rnd = new java.util.Random(42);
    for (int i = 0; i < 20_000; i++) {
      // few distinct high bits, so that containment and overlap are frequent
      byte[] a = {10, (byte) rnd.nextInt(4), (byte) rnd.nextInt(256), (byte) rnd.nextInt(256)};
      byte[] b = {10, (byte) rnd.nextInt(4), (byte) rnd.nextInt(256), (byte) rnd.nextInt(256)};
      IpNet x = new IpNet(java.net.InetAddress.getByAddress(a), rnd.nextInt(33));
      IpNet y = new IpNet(java.net.InetAddress.getByAddress(b), rnd.nextInt(33));
      inet.ipaddr.IPAddress lx = new inet.ipaddr.IPAddressString(x.address().getHostAddress()).getAddress()
          .toPrefixBlock(x.prefixLength());
      inet.ipaddr.IPAddress ly = new inet.ipaddr.IPAddressString(y.address().getHostAddress()).getAddress()
          .toPrefixBlock(y.prefixLength());
      inet.ipaddr.IPAddress hostY = new inet.ipaddr.IPAddressString(y.address().getHostAddress()).getAddress();
      assertEquals(lx.contains(ly), x.contains(y), x + " contains " + y);
      assertEquals(lx.overlaps(ly), x.overlaps(y), x + " overlaps " + y);
      assertEquals(lx.contains(hostY), x.contains(y.address()), x + " contains " + y.address());
      assertEquals(hostY.toCanonicalString(), IpLiteral.format(y.address()));
    }
  }

  @Test
  void containsAndOverlaps() throws Exception {
    IpNet net = IpNet.parse("10.244.0.0/16");
    assertTrue(net.contains(ip("10.244.255.255")));
    assertFalse(net.contains(ip("10.245.0.0")));
    assertFalse(net.contains(ip("fc00::1")));
    assertTrue(net.contains(IpNet.parse("10.244.3.0/24")));
    assertTrue(net.contains(net));
    assertFalse(net.contains(IpNet.parse("10.0.0.0/8")));
    assertFalse(net.contains(IpNet.parse("10.245.0.0/24")));
    assertTrue(net.overlaps(IpNet.parse("10.0.0.0/8")));
    assertTrue(net.overlaps(IpNet.parse("10.244.7.0/24")));
    assertFalse(net.overlaps(IpNet.parse("10.245.0.0/16")));
    assertFalse(net.overlaps(IpNet.parse("fc00::/7")));

    IpNet v6 = IpNet.parse("fc00::/48");
    assertTrue(v6.contains(ip("fc00:0:0:ffff::1")));
    assertFalse(v6.contains(ip("fc00:0:1::")));
    assertTrue(v6.contains(IpNet.parse("fc00:0:0:1::/64")));
    assertTrue(v6.overlaps(IpNet.parse("fc00::/7")));
    assertFalse(v6.overlaps(IpNet.parse("fd00::/48")));
    assertFalse(v6.contains(ip("10.0.0.1")));
  }

  @Test
  void subnetAndIndexOfAreInverse() {
    IpNet net = IpNet.parse("10.244.0.0/16");
    assertEquals(IpNet.parse("10.244.0.0/24"), net.subnet(24, BigInteger.ZERO));
    assertEquals(IpNet.parse("10.244.1.0/24"), net.subnet(24, BigInteger.ONE));
    assertEquals(IpNet.parse("10.244.255.0/24"), net.subnet(24, BigInteger.valueOf(255)));
    assertEquals(BigInteger.valueOf(52), net.indexOf(IpNet.parse("10.244.52.0/24")));
    for (int i = 0; i < 256; i += 17) {
      assertEquals(BigInteger.valueOf(i), net.indexOf(net.subnet(24, BigInteger.valueOf(i))));
    }
    IpNet v6 = IpNet.parse("fc00::/48");
    assertEquals(IpNet.parse("fc00:0:0:1::/64"), v6.subnet(64, BigInteger.ONE));
    assertEquals(IpNet.parse("fc00:0:0:ffff::/64"), v6.subnet(64, BigInteger.valueOf(65535)));
    assertEquals(BigInteger.valueOf(65535), v6.indexOf(IpNet.parse("fc00:0:0:ffff::/64")));
    IpNet big = IpNet.parse("fc00::/8");
    BigInteger huge = BigInteger.ONE.shiftLeft(100).add(BigInteger.TEN);
    assertEquals(huge, big.indexOf(big.subnet(120, huge)));
    assertThrows(IllegalArgumentException.class, () -> net.subnet(8, BigInteger.ZERO));
    assertThrows(IllegalArgumentException.class, () -> net.subnet(33, BigInteger.ZERO));
  }

  @Test
  void equalityIsByAddressAndPrefix() {
    assertEquals(IpNet.parse("10.1.0.0/16"), IpNet.parse("10.1.0.0/16"));
    assertFalse(IpNet.parse("10.1.0.0/16").equals(IpNet.parse("10.1.0.0/17")));
    assertFalse(IpNet.parse("10.1.0.1/16").equals(IpNet.parse("10.1.0.0/16")));
  }
}
