package io.jflannel.subnet;

import inet.ipaddr.AddressStringException;
import inet.ipaddr.AddressStringParameters;
import inet.ipaddr.IPAddressStringParameters;
import inet.ipaddr.IPAddress;
import inet.ipaddr.IPAddressString;
import inet.ipaddr.ipv4.IPv4Address;
import inet.ipaddr.ipv6.IPv6Address;
import java.math.BigInteger;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Objects;

/**
 * An IPv4 or IPv6 address with a prefix length, such as {@code 10.244.0.0/16} or the
 * {@code FLANNEL_SUBNET} form {@code 10.244.1.1/24} (host bits may be set).
 *
 * <p>The CIDR math is delegated to the IPAddress library (see docs/decisions/0300).
 */
public record IpNet(InetAddress address, int prefixLength) {

  public IpNet {
    Objects.requireNonNull(address, "address");
    int bits = address instanceof Inet4Address ? 32 : 128;
    if (prefixLength < 0 || prefixLength > bits) {
      throw new IllegalArgumentException(
          "prefix length " + prefixLength + " out of range 0.." + bits + " for " + address.getHostAddress());
    }
  }

  /**
   * Parses {@code "10.244.0.0/16"} or {@code "fc00::/48"}; a bare address gets the full
   * prefix length (/32 or /128).
   *
   * @throws IllegalArgumentException naming the text and what is wrong with it
   */
  public static IpNet parse(String text) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("empty CIDR");
    }
    String t = text.strip();
    IpNet fast = parseV4(t);
    if (fast != null) {
      return fast;
    }
    IPAddress a;
    try {
      a = new IPAddressString(t).toAddress();
    } catch (AddressStringException e) {
      throw new IllegalArgumentException("invalid CIDR \"" + text + "\": " + e.getMessage(), e);
    }
    if (a == null || a.isMultiple() && a.getNetworkPrefixLength() == null) {
      throw new IllegalArgumentException("invalid CIDR \"" + text + "\"");
    }
    Integer p = a.getNetworkPrefixLength();
    int prefix = p == null ? a.getBitCount() : p;
    if (t.indexOf('/') < 0) {
      prefix = a.getBitCount();
    }
    return new IpNet(a.getLower().withoutPrefixLength().toInetAddress(), prefix);
  }

  /** Built on first use: most addresses take the IPv4 fast path and never need the library. */
  private static final class Strict {
    // Go's net.ParseIP forms only: no inet_aton shorthands (10.1), no leading zeros (octal
    // 010.0.0.1), no prefixes, masks, ranges or zones.
    static final IPAddressStringParameters STRICT_ADDRESS = new IPAddressStringParameters.Builder()
        .allowEmpty(false)
        .allowAll(false)
        .allowPrefix(false)
        .allowMask(false)
        .allowPrefixOnly(false)
        .allowSingleSegment(false)
        .allowWildcardedSeparator(false)
        .setRangeOptions(AddressStringParameters.RangeParameters.NO_RANGE)
        .allow_inet_aton(false)
        .getIPv4AddressParametersBuilder().allowLeadingZeros(false).getParentBuilder()
        .getIPv6AddressParametersBuilder().allowZone(false).getParentBuilder()
        .toParams();
  }

  /**
   * Parses a bare IPv4 or IPv6 address without any name lookup ({@code InetAddress.getByName}
   * would resolve host names).
   *
   * @throws IllegalArgumentException naming the text when it is not a single address
   */
  public static InetAddress parseAddress(String text) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("empty IP address");
    }
    String t = text.strip();
    InetAddress fast = t.indexOf('/') < 0 ? v4Address(t, 0, t.length()) : null;
    if (fast != null) {
      return fast;
    }
    IPAddress a;
    try {
      a = new IPAddressString(t, Strict.STRICT_ADDRESS).toAddress();
    } catch (AddressStringException e) {
      throw new IllegalArgumentException("invalid IP address \"" + text + "\": " + e.getMessage(), e);
    }
    if (a == null || a.isMultiple() || a.getNetworkPrefixLength() != null || text.indexOf('/') >= 0) {
      throw new IllegalArgumentException("invalid IP address \"" + text + "\": expected a single address");
    }
    return a.toInetAddress();
  }

  /** The canonical text of an address as Go's {@code net.IP.String} writes it ({@code fc00:0:0:1::}). */
  public static String format(InetAddress address) {
    // IPv4: the JDK's dotted quad is already the canonical form, and far cheaper (per-peer hot path).
    return address instanceof Inet4Address ? address.getHostAddress() : single(address).toCanonicalString();
  }

  /**
   * The plain IPv4 forms ({@code 10.244.1.0/24}, {@code 10.244.1.7}) without the library: they
   * are parsed once per peer lease at start-up. Anything else (IPv6, leading zeros, odd
   * forms, errors) returns null and goes through the library, which also words the errors.
   */
  private static IpNet parseV4(String t) {
    int slash = t.indexOf('/');
    int end = slash < 0 ? t.length() : slash;
    InetAddress a = v4Address(t, 0, end);
    if (a == null) {
      return null;
    }
    if (slash < 0) {
      return new IpNet(a, 32);
    }
    int prefix = decimal(t, slash + 1, t.length(), 32);
    return prefix < 0 ? null : new IpNet(a, prefix);
  }

  /** Dotted quad in {@code t[from, to)} in Go's strict form, else null. */
  private static InetAddress v4Address(String t, int from, int to) {
    byte[] b = new byte[4];
    int start = from;
    for (int i = 0; i < 4; i++) {
      int dot = i < 3 ? t.indexOf('.', start) : to;
      if (dot < 0 || dot > to) {
        return null;
      }
      int v = decimal(t, start, dot, 255);
      if (v < 0) {
        return null;
      }
      b[i] = (byte) v;
      start = dot + 1;
    }
    try {
      return InetAddress.getByAddress(b);
    } catch (java.net.UnknownHostException e) {
      throw new IllegalStateException(e); // 4 bytes are always a valid IPv4 address
    }
  }

  /** Decimal number in {@code t[from, to)} without leading zeros and at most {@code max}, else -1. */
  private static int decimal(String t, int from, int to, int max) {
    int len = to - from;
    if (len < 1 || len > 3 || len > 1 && t.charAt(from) == '0') {
      return -1;
    }
    int v = 0;
    for (int i = from; i < to; i++) {
      char c = t.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      v = v * 10 + (c - '0');
    }
    return v <= max ? v : -1;
  }

  /** Parses the etcd lease key form {@code "10.5.52.0-24"} (also {@code "fc00:0:0:1::-64"}). */
  public static IpNet parseKey(String key) {
    int dash = key == null ? -1 : key.lastIndexOf('-');
    if (dash <= 0 || dash == key.length() - 1) {
      throw new IllegalArgumentException("invalid subnet key \"" + key + "\": expected ADDRESS-PREFIXLEN");
    }
    int prefix = decimal(key, dash + 1, key.length(), 32);
    InetAddress a = prefix < 0 ? null : v4Address(key, 0, dash);
    if (a != null) {
      return new IpNet(a, prefix);
    }
    return parse(key.substring(0, dash) + "/" + key.substring(dash + 1));
  }

  /** A network with the given address and prefix. */
  public static IpNet of(InetAddress address, int prefixLength) {
    return new IpNet(address, prefixLength);
  }

  public boolean isIpv4() {
    return address instanceof Inet4Address;
  }

  /** Number of bits of an address of this family (32 or 128). */
  public int bitCount() {
    return isIpv4() ? 32 : 128;
  }

  /** The same prefix with host bits cleared ({@code 10.244.1.1/24 -> 10.244.1.0/24}). */
  public IpNet network() {
    if (isIpv4()) {
      int mask = prefixLength == 0 ? 0 : -1 << (32 - prefixLength);
      int net = v4(address) & mask;
      return net == v4(address) ? this : new IpNet(toInet(BigInteger.valueOf(net & 0xffffffffL), 32), prefixLength);
    }
    return new IpNet(lib().getLower().withoutPrefixLength().toInetAddress(), prefixLength);
  }

  /** True when the host bits are all zero. */
  public boolean isNetworkAddress() {
    return network().address.equals(address);
  }

  /** First host address with this prefix ({@code 10.244.1.0/24 -> 10.244.1.1/24}). */
  public IpNet firstHost() {
    IPAddress lower = lib().getLower().withoutPrefixLength();
    return new IpNet(lower.increment(1).toInetAddress(), prefixLength);
  }

  /** True when {@code ip} lies inside this network. */
  public boolean contains(InetAddress ip) {
    if ((ip instanceof Inet4Address) != isIpv4()) {
      return false;
    }
    if (isIpv4()) {
      return sameV4Prefix(address, ip, prefixLength);
    }
    return lib().contains(single(ip));
  }

  /** True when every address of {@code other} lies inside this network. */
  public boolean contains(IpNet other) {
    if (other.isIpv4() != isIpv4() || other.prefixLength < prefixLength) {
      return false;
    }
    return isIpv4() ? sameV4Prefix(address, other.address, prefixLength) : lib().contains(other.lib());
  }

  /** True when the two networks share at least one address. */
  public boolean overlaps(IpNet other) {
    if (other.isIpv4() != isIpv4()) {
      return false;
    }
    // Two prefix blocks overlap exactly when they agree on the shorter prefix.
    return isIpv4() ? sameV4Prefix(address, other.address, Math.min(prefixLength, other.prefixLength))
        : lib().overlaps(other.lib());
  }

  /**
   * The {@code index}-th subnet of length {@code subnetLen} inside this network (index 0
   * is the first).
   */
  public IpNet subnet(int subnetLen, BigInteger index) {
    if (subnetLen < prefixLength || subnetLen > bitCount()) {
      throw new IllegalArgumentException("subnet length /" + subnetLen + " does not fit in " + this);
    }
    BigInteger base = new BigInteger(1, network().address.getAddress());
    BigInteger addr = base.add(index.shiftLeft(bitCount() - subnetLen));
    return new IpNet(toInet(addr, bitCount()), subnetLen);
  }

  /** Index of the given subnet inside this network, the inverse of {@link #subnet}. */
  public BigInteger indexOf(IpNet subnet) {
    BigInteger base = new BigInteger(1, network().address.getAddress());
    BigInteger addr = new BigInteger(1, subnet.network().address.getAddress());
    return addr.subtract(base).shiftRight(bitCount() - subnet.prefixLength);
  }

  /** The etcd key form, {@code 10.5.52.0-24}. */
  public String toKey() {
    return ip() + "-" + prefixLength;
  }

  /** The address without the prefix, in canonical text form. */
  public String ip() {
    return format(address);
  }

  /** True when two IPv4 addresses agree on their first {@code bits} bits (the hot path of peer checks). */
  private static boolean sameV4Prefix(InetAddress a, InetAddress b, int bits) {
    int mask = bits == 0 ? 0 : -1 << (32 - bits);
    return (v4(a) & mask) == (v4(b) & mask);
  }

  private static int v4(InetAddress a) {
    byte[] b = a.getAddress();
    return (b[0] & 0xff) << 24 | (b[1] & 0xff) << 16 | (b[2] & 0xff) << 8 | (b[3] & 0xff);
  }

  @Override
  public String toString() {
    return ip() + "/" + prefixLength;
  }

  /** The prefix block (all addresses of this network) in the IPAddress library's form. */
  private IPAddress lib() {
    return single(address).toPrefixBlock(prefixLength);
  }

  // Built from the bytes, never from text: the library parses "10.1.0.0/16" as the whole
  // block 10.1.*.*, whose canonical text is not an address.
  private static IPAddress single(InetAddress a) {
    return a instanceof Inet4Address v4 ? new IPv4Address(v4) : new IPv6Address(a.getAddress());
  }

  private static InetAddress toInet(BigInteger value, int bits) {
    byte[] raw = value.toByteArray();
    byte[] out = new byte[bits / 8];
    int copy = Math.min(raw.length, out.length);
    System.arraycopy(raw, raw.length - copy, out, out.length - copy, copy);
    try {
      return InetAddress.getByAddress(out);
    } catch (java.net.UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }
}
