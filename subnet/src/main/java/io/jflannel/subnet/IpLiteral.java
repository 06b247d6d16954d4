package io.jflannel.subnet;

import inet.ipaddr.AddressStringException;
import inet.ipaddr.AddressStringParameters;
import inet.ipaddr.IPAddress;
import inet.ipaddr.IPAddressString;
import inet.ipaddr.IPAddressStringParameters;
import inet.ipaddr.ipv4.IPv4Address;
import inet.ipaddr.ipv6.IPv6Address;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * The one reader and writer of IP address text in jflannel: flags, interface selection, the
 * network config, subnet.env, etcd keys and values, node annotations and pod CIDRs all go
 * through it (docs/decisions/0900).
 *
 * <p>It reads only text that means the same address to every parser, so that no two
 * different strings in a store can name the same address and no string names an address
 * other than the one the API server or an upstream flannel node reads:
 * <ul>
 *   <li>IPv4: exactly four decimal numbers 0..255 without leading zeros ({@code 012.0.0.1}
 *       is octal 10 to inet_aton, decimal 12 to the Kubernetes API server);</li>
 *   <li>IPv6: RFC 4291 text, any letter case, without a zone, and never an IPv4-mapped
 *       address ({@code ::ffff:10.0.0.1} is IPv4 {@code 10.0.0.1} in disguise);</li>
 *   <li>nothing around the address: no whitespace, brackets, prefix, port or range, and
 *       never a host name (nothing is ever looked up).</li>
 * </ul>
 * Writing gives the canonical form Go's {@code net.IP.String} writes: the dotted quad, or
 * RFC 5952 IPv6 ({@code fc00:0:0:1::}).
 */
public final class IpLiteral {

  private IpLiteral() {}

  /** Built on first use: IPv4 text never needs the library. */
  private static final class Strict {
    // IPv6 only: IPv4 is read by hand below. No zone, no base 85, no binary, no wildcards,
    // no ranges, no prefix or mask, no inet_aton forms in an embedded IPv4 part.
    static final IPAddressStringParameters IPV6 = new IPAddressStringParameters.Builder()
        .allowEmpty(false)
        .allowAll(false)
        .allowPrefix(false)
        .allowMask(false)
        .allowPrefixOnly(false)
        .allowSingleSegment(false)
        .allowWildcardedSeparator(false)
        .allowIPv4(false)
        .setRangeOptions(AddressStringParameters.RangeParameters.NO_RANGE)
        .getIPv6AddressParametersBuilder()
            .allowZone(false)
            .allowEmptyZone(false)
            .allowBase85(false)
            .allowBinary(false)
            .allowUnlimitedLeadingZeros(false)
            .allowWildcardedSeparator(false)
            .allow_mixed_inet_aton(false)
            .setRangeOptions(AddressStringParameters.RangeParameters.NO_RANGE)
            .getParentBuilder()
        .toParams();
  }

  /**
   * Reads an IPv4 or IPv6 address.
   *
   * @throws IllegalArgumentException quoting the text and saying what is wrong with it
   */
  public static InetAddress parse(String text) {
    if (text == null || text.isEmpty()) {
      throw new IllegalArgumentException("empty IP address");
    }
    return parse(text, 0, text.length(), text);
  }

  /**
   * Reads an IPv4 address.
   *
   * @throws IllegalArgumentException quoting the text; an IPv6 address is refused as such
   */
  public static Inet4Address parseV4(String text) {
    InetAddress a = parse(text);
    if (!(a instanceof Inet4Address v4)) {
      throw new IllegalArgumentException(quote(text) + " is an IPv6 address where IPv4 is expected");
    }
    return v4;
  }

  /**
   * Reads an IPv6 address.
   *
   * @throws IllegalArgumentException quoting the text; an IPv4 address is refused as such
   */
  public static Inet6Address parseV6(String text) {
    InetAddress a = parse(text);
    if (!(a instanceof Inet6Address v6)) {
      throw new IllegalArgumentException(quote(text) + " is an IPv4 address where IPv6 is expected");
    }
    return v6;
  }

  /** The canonical text: the dotted quad, or RFC 5952 IPv6 as Go's {@code net.IP.String} writes it. */
  public static String format(InetAddress address) {
    // The JDK's dotted quad is already canonical and far cheaper (per-peer hot path).
    return address instanceof Inet4Address ? address.getHostAddress()
        : new IPv6Address(address.getAddress()).toCanonicalString();
  }

  /**
   * Reads the address in {@code t[from, to)}; {@code whole} is the text quoted in errors (a
   * CIDR or a key the address is part of).
   */
  static InetAddress parse(String t, int from, int to, String whole) {
    if (from >= to) {
      throw new IllegalArgumentException(quote(whole) + " is not an IP address: the address is empty");
    }
    int colon = t.indexOf(':', from);
    if (colon >= 0 && colon < to) {
      return v6(t, from, to, whole);
    }
    for (int i = from; i < to; i++) {
      char c = t.charAt(i);
      if (!(c >= '0' && c <= '9' || c == '.')) {
        throw new IllegalArgumentException(quote(whole) + " is not an IP address"
            + (Character.isWhitespace(c) || Character.isISOControl(c) ? ": it contains whitespace or a control character"
            : c == '/' ? ": a bare address is expected, not a CIDR" : ""));
      }
    }
    return v4(t, from, to, whole);
  }

  private static Inet4Address v4(String t, int from, int to, String whole) {
    byte[] b = new byte[4];
    int start = from;
    for (int i = 0; i < 4; i++) {
      int dot = i < 3 ? t.indexOf('.', start) : to;
      if (dot < 0 || dot > to || i == 3 && t.indexOf('.', start) >= 0 && t.indexOf('.', start) < to) {
        throw new IllegalArgumentException(quote(whole) + " is not an IPv4 address: expected four decimal numbers"
            + " separated by dots");
      }
      int len = dot - start;
      if (len < 1 || len > 3) {
        throw new IllegalArgumentException(quote(whole) + " is not an IPv4 address: expected four decimal numbers"
            + " separated by dots");
      }
      if (len > 1 && t.charAt(start) == '0') {
        throw new IllegalArgumentException(quote(whole) + " is not an IPv4 address in canonical form: \""
            + t.substring(start, dot) + "\" has a leading zero (octal to some readers, decimal to others)");
      }
      int v = 0;
      for (int k = start; k < dot; k++) {
        char c = t.charAt(k);
        if (c < '0' || c > '9') {
          throw new IllegalArgumentException(quote(whole) + " is not an IPv4 address: expected four decimal numbers"
              + " separated by dots");
        }
        v = v * 10 + (c - '0');
      }
      if (v > 255) {
        throw new IllegalArgumentException(quote(whole) + " is not an IPv4 address: " + v + " is above 255");
      }
      b[i] = (byte) v;
      start = dot + 1;
    }
    try {
      return (Inet4Address) InetAddress.getByAddress(b);
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e); // 4 bytes are always an IPv4 address
    }
  }

  private static Inet6Address v6(String t, int from, int to, String whole) {
    int lastColon = -1;
    for (int i = from; i < to; i++) {
      char c = t.charAt(i);
      if (c == ':') {
        lastColon = i;
      } else if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == '.')) {
        throw new IllegalArgumentException(quote(whole) + " is not an IP address"
            + (c == '%' ? ": zones are not allowed"
            : c == '/' ? ": a bare address is expected, not a CIDR"
            : Character.isWhitespace(c) || Character.isISOControl(c) ? ": it contains whitespace or a control character"
            : ""));
      }
    }
    if (t.indexOf('.', lastColon) >= 0 && t.indexOf('.', lastColon) < to) {
      v4(t, lastColon + 1, to, whole); // the embedded IPv4 part follows the IPv4 rules
    }
    IPAddress a;
    try {
      a = new IPAddressString(t.substring(from, to), Strict.IPV6).toAddress();
    } catch (AddressStringException e) {
      throw new IllegalArgumentException(quote(whole) + " is not an IPv6 address: " + e.getMessage(), e);
    }
    if (a == null || !a.isIPv6() || a.isMultiple() || a.getNetworkPrefixLength() != null) {
      throw new IllegalArgumentException(quote(whole) + " is not an IPv6 address");
    }
    byte[] bytes = a.getBytes();
    if (((IPv6Address) a).isIPv4Mapped()) {
      throw new IllegalArgumentException(quote(whole) + " is an IPv4-mapped IPv6 address; write the IPv4 address "
          + new IPv4Address(new byte[] {bytes[12], bytes[13], bytes[14], bytes[15]}).toCanonicalString()
          + " itself");
    }
    try {
      // getByAddress(host, bytes, scope) never folds to an Inet4Address
      return Inet6Address.getByAddress(null, bytes, -1);
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e); // 16 bytes are always an IPv6 address
    }
  }

  /**
   * {@code text} in double quotes with control characters escaped, for messages and log
   * lines: store data may hold a newline that would forge a log line.
   */
  public static String quote(String text) {
    StringBuilder b = new StringBuilder(text.length() + 2).append('"');
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '"' || c == '\\') {
        b.append('\\').append(c);
      } else if (c < 0x20 || c == 0x7f || Character.isISOControl(c)) {
        b.append(String.format("\\u%04x", (int) c));
      } else {
        b.append(c);
      }
    }
    return b.append('"').toString();
  }
}
