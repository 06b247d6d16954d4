package io.jflannel.daemon.flags;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/**
 * Parses IP address literals without ever consulting DNS: {@link InetAddress#getByName} would
 * resolve a host name, which a flag that must be an address never should.
 */
final class IpLiteral {
  private static final Pattern DOTTED_QUAD =
      Pattern.compile("(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");

  private IpLiteral() {}

  /** An IPv4 dotted quad such as {@code 192.0.2.7}. */
  static Inet4Address v4(String text) {
    if (!DOTTED_QUAD.matcher(text).matches()) {
      throw new IllegalArgumentException("'" + text + "' is not an IPv4 address");
    }
    return (Inet4Address) literal(text);
  }

  /** An IPv6 literal such as {@code fd00::1}; IPv4-mapped forms are refused. */
  static Inet6Address v6(String text) {
    if (text.indexOf(':') < 0) {
      throw new IllegalArgumentException("'" + text + "' is not an IPv6 address");
    }
    InetAddress a;
    try {
      a = literal(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("'" + text + "' is not an IPv6 address");
    }
    if (!(a instanceof Inet6Address v6)) {
      // Java folds ::ffff:a.b.c.d into an Inet4Address.
      throw new IllegalArgumentException("'" + text + "' is an IPv4-mapped address, not IPv6");
    }
    return v6;
  }

  /** Either family. */
  static InetAddress any(String text) {
    if (text.indexOf(':') >= 0) {
      return v6(text);
    }
    if (DOTTED_QUAD.matcher(text).matches()) {
      return v4(text);
    }
    throw new IllegalArgumentException("'" + text + "' is not an IP address");
  }

  private static InetAddress literal(String text) {
    try {
      // Safe: only called with a dotted quad or a string containing ':', both of which the
      // JDK parses as literals and never looks up.
      return InetAddress.getByName(text);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("'" + text + "' is not an IP address");
    }
  }
}
