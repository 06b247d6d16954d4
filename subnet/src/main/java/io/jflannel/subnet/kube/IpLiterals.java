package io.jflannel.subnet.kube;

import io.jflannel.subnet.IpNet;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;

/**
 * Strict parsing of IP address literals found in annotations. Never resolves names
 * ({@code InetAddress.getByName} would do a DNS lookup for text like {@code node-a}), and
 * refuses the lenient forms ({@code 10.1}, {@code 010.0.0.1}, prefixes, ranges, zones).
 */
final class IpLiterals {

  private IpLiterals() {}

  /**
   * Parses an IPv4 or IPv6 literal.
   *
   * @throws IllegalArgumentException when {@code text} is not one
   */
  static InetAddress parse(String text) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("empty address");
    }
    try {
      return IpNet.parseAddress(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("\"" + text + "\" is not an IP address", e);
    }
  }

  /** Parses an IPv4 literal; an IPv6 literal is refused with a message saying so. */
  static Inet4Address parseV4(String text) {
    InetAddress a = parse(text);
    if (!(a instanceof Inet4Address v4)) {
      throw new IllegalArgumentException("\"" + text + "\" is an IPv6 address where IPv4 is expected");
    }
    return v4;
  }

  /** Parses an IPv6 literal; an IPv4 literal is refused with a message saying so. */
  static Inet6Address parseV6(String text) {
    InetAddress a = parse(text);
    if (!(a instanceof Inet6Address v6)) {
      throw new IllegalArgumentException("\"" + text + "\" is an IPv4 address where IPv6 is expected");
    }
    return v6;
  }
}
