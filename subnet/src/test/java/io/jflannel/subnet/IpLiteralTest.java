package io.jflannel.subnet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link IpLiteral} reads only the address texts that mean one address to every reader (Go's
 * net.ParseIP, the Kubernetes API server, inet_aton) and never looks a name up.
 */
class IpLiteralTest {

  @ParameterizedTest
  @ValueSource(strings = {
      // inet_aton shorthands and radixes: 10.1 is 10.0.0.1, 010 is 8, 0xa is 10 to inet_aton
      "10.1", "1", "10.1.2", "167772161", "010.0.0.1", "012.244.2.0", "10.0.0.01", "0x0a.0.0.1", "0xa000001",
      // not four decimal numbers 0..255
      "10.0.0.256", "1.2.3.4.5", "1..2.3", ".1.2.3", "1.2.3.", "-1.2.3.4", "+1.2.3.4", "1.2.3.4e0",
      // whitespace and control characters around or inside
      " 10.0.0.1", "10.0.0.1 ", "10.0.0.1\n", "\t10.0.0.1", "10.0.0.1\u0000", "10.0. 0.1", " fc00::1", "fc00::1 ",
      // prefixes, ports, ranges, wildcards, brackets, zones
      "10.0.0.1/32", "fc00::1/64", "10.0.0.1:80", "192.0.2.1-5", "10.0.0.*", "*", "[fc00::1]", "fe80::1%eth0",
      "fe80::1%",
      // IPv6 forms that are not RFC 4291 text, or hide an IPv4 address
      "::ffff:zz", "fc00:::1", "fc00::1::2", "1:2:3:4:5:6:7:8:9", "fc00::00001", "::1.2.3.04", "::1.2.3",
      "::ffff:10.0.0.1", "::FFFF:10.0.0.1", "::ffff:a00:1", "0:0:0:0:0:ffff:10.0.0.1",
      // names are never resolved
      "localhost", "node-a", "node-a.example", "",
  })
  void lenientAndForeignFormsAreRefused(String text) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IpLiteral.parse(text));
    assertFalse(e.getMessage().isEmpty());
    assertFalse(e.getMessage().contains("\n") || e.getMessage().contains("\u0000"), "control characters escaped");
  }

  @ParameterizedTest
  @ValueSource(strings = {"10.0.0.1", "0.0.0.0", "255.255.255.255", "192.0.2.255"})
  void ipv4DottedQuadsAreRead(String text) throws Exception {
    InetAddress a = IpLiteral.parse(text);
    assertInstanceOf(Inet4Address.class, a);
    assertEquals(InetAddress.getByName(text), a);
    assertEquals(text, IpLiteral.format(a));
  }

  @ParameterizedTest
  @ValueSource(strings = {"fc00::1", "FC00::1", "fc00:0000::1", "2001:db8:0:1::", "::", "::1", "1:2:3:4:5:6:7:8",
      "64:ff9b::192.0.2.1", "::192.0.2.1"})
  void ipv6TextIsReadInAnyCaseAndWrittenCanonically(String text) throws Exception {
    InetAddress a = IpLiteral.parse(text);
    assertInstanceOf(Inet6Address.class, a);
    assertEquals(InetAddress.getByAddress(InetAddress.getByName(text).getAddress()), a);
    String canonical = IpLiteral.format(a);
    assertEquals(canonical.toLowerCase(), canonical);
    assertEquals(a, IpLiteral.parse(canonical));
    assertEquals(canonical, IpLiteral.format(IpLiteral.parse(text.toUpperCase())));
  }

  @Test
  void leadingZeroIsNamedInTheMessage() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IpLiteral.parse("012.244.2.0"));
    assertEquals("\"012.244.2.0\" is not an IPv4 address in canonical form: \"012\" has a leading zero"
        + " (octal to some readers, decimal to others)", e.getMessage());
  }

  @Test
  void ipv4MappedIsRefusedNamingTheIpv4Address() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IpLiteral.parse("::ffff:10.244.2.0"));
    assertTrue(e.getMessage().contains("IPv4-mapped") && e.getMessage().contains("10.244.2.0"), e.getMessage());
  }

  @Test
  void controlCharactersAreEscapedInMessages() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> IpLiteral.parse("10.0.0.1\nWARN forged line"));
    assertTrue(e.getMessage().startsWith("\"10.0.0.1\\u000aWARN forged line\" is not an IP address"), e.getMessage());
    assertEquals("\"a\\\"b\\\\c\\u0009\"", IpLiteral.quote("a\"b\\c\t"));
  }

  @Test
  void familyIsChecked() {
    assertInstanceOf(Inet4Address.class, IpLiteral.parseV4("192.0.2.1"));
    assertInstanceOf(Inet6Address.class, IpLiteral.parseV6("2001:db8::1"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IpLiteral.parseV4("2001:db8::1"));
    assertEquals("\"2001:db8::1\" is an IPv6 address where IPv4 is expected", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> IpLiteral.parseV6("192.0.2.1"));
    assertEquals("\"192.0.2.1\" is an IPv4 address where IPv6 is expected", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> IpLiteral.parseV4(null));
  }

  /** Whatever is written is read back as the same address and written the same way. */
  @Test
  void formatAndParseRoundTrip() throws Exception {
    Random rnd = new Random(11);
    for (int i = 0; i < 20_000; i++) {
      byte[] b = new byte[i % 2 == 0 ? 4 : 16];
      rnd.nextBytes(b);
      if (b.length == 16 && i % 3 == 0) {
        java.util.Arrays.fill(b, 0, 4 + rnd.nextInt(12), (byte) 0); // runs of zero groups
      }
      if (b.length == 16 && b[10] == (byte) 0xff && b[11] == (byte) 0xff) {
        b[11] = 0; // not IPv4-mapped
      }
      InetAddress a = b.length == 4 ? InetAddress.getByAddress(b) : Inet6Address.getByAddress(null, b, -1);
      String text = IpLiteral.format(a);
      assertEquals(a, IpLiteral.parse(text), text);
      assertEquals(text, IpLiteral.format(IpLiteral.parse(text)));
    }
  }
}
