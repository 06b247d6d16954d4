package io.jflannel.subnet;

import inet.ipaddr.IPAddress;
import inet.ipaddr.ipv4.IPv4Address;
import inet.ipaddr.ipv6.IPv6Address;
import java.math.BigInteger;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Objects;

/**
 * An IPv4 or IPv6 address with a prefix length, such as {@code 10.244.0.0/16} or the
 * {@code FLANNEL_SUBNET} form {@code 10.244.1.1/24} (host bits may be set): the one CIDR type
 * of jflannel, from the network config to the dataplanes.
 *
 * <p>IPv4 math (containment, overlap, first and last address as numbers) is done on the 32
 * bits directly, since the per-peer and per-kernel-object checks run it thousands of times;
 * IPv6 math is delegated to the IPAddress library (docs/decisions/0300). Text is read and
 * written through {@link IpLiteral} (docs/decisions/0900).
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
   * prefix length (/32 or /128). Host bits may be set ({@code FLANNEL_SUBNET=10.244.1.1/24}).
   * Strict: the address as {@link IpLiteral} reads it, the prefix length in decimal without a
   * leading zero, nothing around them (no whitespace).
   *
   * @throws IllegalArgumentException quoting the text and saying what is wrong with it
   */
  public static IpNet parse(String text) {
    if (text == null || text.isEmpty()) {
      throw new IllegalArgumentException("empty CIDR");
    }
    int slash = text.indexOf('/');
    InetAddress a = IpLiteral.parse(text, 0, slash < 0 ? text.length() : slash, text);
    int bits = a instanceof Inet4Address ? 32 : 128;
    if (slash < 0) {
      return new IpNet(a, bits);
    }
    int prefix = decimal(text, slash + 1, text.length(), bits);
    if (prefix < 0) {
      throw new IllegalArgumentException("invalid CIDR " + IpLiteral.quote(text) + ": the prefix length must be"
          + " a decimal number 0.." + bits + " without a leading zero");
    }
    return new IpNet(a, prefix);
  }

  /**
   * Parses a network in the form a store holds it ({@code spec.podCIDR}): {@code ADDRESS/PREFIX}
   * as {@link #parse} reads it, with the host bits zero, so that one network has one text
   * (up to the letter case of IPv6) and no text names another node's network.
   *
   * @throws IllegalArgumentException quoting the text and saying what is wrong with it
   */
  public static IpNet parseNetwork(String text) {
    if (text == null || text.indexOf('/') < 0) {
      throw new IllegalArgumentException((text == null ? "null" : IpLiteral.quote(text))
          + " is not a CIDR (ADDRESS/PREFIX)");
    }
    IpNet n = parse(text);
    if (!n.isNetworkAddress()) {
      throw new IllegalArgumentException(IpLiteral.quote(text) + " has host bits set (the network would be "
          + n.network() + ")");
    }
    return n;
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
      int net = v4(address) & mask(prefixLength);
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

  /**
   * The first address (the network address) of an IPv4 network as an unsigned number: the
   * hot paths keep peer ranges as longs (docs/decisions/0833).
   *
   * @throws IllegalStateException for an IPv6 network
   */
  public long firstV4() {
    return v4Bits() & mask(prefixLength) & 0xffffffffL;
  }

  /**
   * The last address of an IPv4 network as an unsigned number.
   *
   * @throws IllegalStateException for an IPv6 network
   */
  public long lastV4() {
    return (v4Bits() | ~mask(prefixLength)) & 0xffffffffL;
  }

  private int v4Bits() {
    if (!isIpv4()) {
      throw new IllegalStateException(this + " is not an IPv4 network");
    }
    return v4(address);
  }

  private static int mask(int bits) {
    return bits == 0 ? 0 : -1 << (32 - bits);
  }

  /** The etcd key form, {@code 10.5.52.0-24}. */
  public String toKey() {
    return ip() + "-" + prefixLength;
  }

  /** The address without the prefix, in canonical text form ({@link IpLiteral#format}). */
  public String ip() {
    return IpLiteral.format(address);
  }

  /** True when two IPv4 addresses agree on their first {@code bits} bits (the hot path of peer checks). */
  private static boolean sameV4Prefix(InetAddress a, InetAddress b, int bits) {
    int mask = mask(bits);
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
