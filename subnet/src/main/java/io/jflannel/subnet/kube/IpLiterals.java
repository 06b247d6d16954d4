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
    long fast = text == null ? -1 : dottedQuad(text, 0, text.length());
    if (fast >= 0) {
      return v4((int) fast);
    }
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

  /**
   * The value of {@code text[from, to)} when it is exactly four decimal octets 0-255 without
   * leading zeros, separated by dots (the only IPv4 form the strict parser accepts), else -1.
   * Every peer's public IP and pod CIDR is parsed at start-up; this skips the general parser
   * for the form they all have (anything else still goes through it).
   */
  static long dottedQuad(String text, int from, int to) {
    long value = 0;
    int i = from;
    for (int part = 0; part < 4; part++) {
      if (part > 0) {
        if (i >= to || text.charAt(i) != '.') {
          return -1;
        }
        i++;
      }
      int start = i;
      int octet = 0;
      while (i < to && i - start < 3 && text.charAt(i) >= '0' && text.charAt(i) <= '9') {
        octet = octet * 10 + (text.charAt(i) - '0');
        i++;
      }
      int digits = i - start;
      if (digits == 0 || digits > 1 && text.charAt(start) == '0' || octet > 255) {
        return -1;
      }
      value = value << 8 | octet;
    }
    return i == to ? value : -1;
  }

  /** The IPv4 address with the given 32 bits. */
  static Inet4Address v4(int bits) {
    byte[] b = {(byte) (bits >>> 24), (byte) (bits >>> 16), (byte) (bits >>> 8), (byte) bits};
    try {
      return (Inet4Address) InetAddress.getByAddress(b); // four bytes: no name lookup
    } catch (java.net.UnknownHostException e) {
      throw new IllegalStateException("four bytes are always an IPv4 address", e);
    }
  }
}
