package io.jflannel.backend;

import io.jflannel.subnet.IpNet;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * A CIDR prefix as a numeric range, for the per-object checks of a pass (ownership,
 * validation) that run thousands of times: a few integer comparisons instead of parsing
 * address text each time.
 *
 * @param first first address as an unsigned number
 * @param last  last address as an unsigned number
 * @param bits  32 for IPv4, 128 for IPv6
 */
public record AddressRange(BigInteger first, BigInteger last, int bits) {

  /** The range of a prefix (host bits of its address ignored). */
  public static AddressRange of(IpNet net) {
    return of(net.address(), net.prefixLength());
  }

  /** The range of {@code address/prefixLength}. */
  public static AddressRange of(InetAddress address, int prefixLength) {
    byte[] raw = address.getAddress();
    int bits = raw.length * 8;
    int host = bits - prefixLength;
    BigInteger first = new BigInteger(1, raw).shiftRight(host).shiftLeft(host);
    return new AddressRange(first, first.add(BigInteger.ONE.shiftLeft(host)).subtract(BigInteger.ONE), bits);
  }

  /** Whether the address lies in the range (false for the other family). */
  public boolean contains(InetAddress a) {
    byte[] raw = a.getAddress();
    if (raw.length * 8 != bits) {
      return false;
    }
    BigInteger v = new BigInteger(1, raw);
    return v.compareTo(first) >= 0 && v.compareTo(last) <= 0;
  }

  /** Whether every address of {@code other} lies in this range. */
  public boolean contains(AddressRange other) {
    return other.bits == bits && other.first.compareTo(first) >= 0 && other.last.compareTo(last) <= 0;
  }

  /** Whether the two ranges share an address. */
  public boolean overlaps(AddressRange other) {
    return other.bits == bits && first.compareTo(other.last) <= 0 && other.first.compareTo(last) <= 0;
  }

  /** The first address (the network address of the prefix). */
  public InetAddress firstAddress() {
    byte[] raw = first.toByteArray();
    byte[] out = new byte[bits / 8];
    int copy = Math.min(raw.length, out.length);
    System.arraycopy(raw, raw.length - copy, out, out.length - copy, copy);
    try {
      return InetAddress.getByAddress(out);
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }
}
