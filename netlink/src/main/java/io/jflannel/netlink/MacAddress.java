package io.jflannel.netlink;

import java.security.SecureRandom;

/**
 * A 48-bit Ethernet hardware address held in the low 48 bits of a long (first octet most
 * significant).
 *
 * @param value the address, {@code 0 <= value < 2^48}
 */
public record MacAddress(long value) {
  private static final long MASK = 0xFFFF_FFFF_FFFFL;
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final char[] HEX = "0123456789abcdef".toCharArray();


  public MacAddress {
    if ((value & ~MASK) != 0) {
      throw new IllegalArgumentException("MAC address value out of 48-bit range: 0x" + Long.toHexString(value));
    }
  }

  /** Parses the colon (or dash) separated form, e.g. {@code 2a:95:ed:10:e4:56}, case-insensitive. */
  public static MacAddress parse(String text) {
    if (text == null) {
      throw new IllegalArgumentException("MAC address is null");
    }
    // A hand scan, no regex and no cache: parse runs for every peer on every pass (VTEP MACs
    // from leases), and a cache of parsed texts grew with every MAC an update storm brought.
    String t = text.trim();
    long v = 0;
    int octets = 0;
    for (int start = 0; ; ) {
      int end = start;
      while (end < t.length() && t.charAt(end) != ':' && t.charAt(end) != '-') {
        end++;
      }
      if (end == start) {
        throw badCount(text);
      }
      if (end - start > 2) {
        throw badOctet(text, t.substring(start, end), "not 1-2 hex digits");
      }
      int octet = 0;
      for (int i = start; i < end; i++) {
        int d = hexDigit(t.charAt(i));
        if (d < 0) {
          throw badOctet(text, t.substring(start, end), "not hex");
        }
        octet = octet << 4 | d;
      }
      v = v << 8 | octet;
      octets++;
      if (end == t.length()) {
        break;
      }
      start = end + 1; // past the separator
    }
    if (octets != 6) {
      throw badCount(text);
    }
    return new MacAddress(v);
  }

  /** The value of an ASCII hex digit, or -1 (Character.digit would take other scripts' digits). */
  private static int hexDigit(char c) {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    return -1;
  }

  private static IllegalArgumentException badOctet(String text, String octet, String problem) {
    return new IllegalArgumentException("invalid MAC address '" + text + "': octet '" + octet + "' is " + problem);
  }

  private static IllegalArgumentException badCount(String text) {
    return new IllegalArgumentException("invalid MAC address '" + text + "': expected 6 hex octets separated by ':'");
  }

  /** Builds an address from exactly 6 bytes in wire order. */
  public static MacAddress of(byte[] bytes) {
    if (bytes == null || bytes.length != 6) {
      throw new IllegalArgumentException("MAC address needs 6 bytes, got " + (bytes == null ? "null" : bytes.length));
    }
    long v = 0;
    for (byte b : bytes) {
      v = (v << 8) | (b & 0xFF);
    }
    return new MacAddress(v);
  }

  /** A random unicast, locally administered address (as flannel picks for its VTEP). */
  public static MacAddress randomLocalUnicast() {
    long v = RANDOM.nextLong() & MASK;
    v &= ~(1L << 40); // clear multicast bit of the first octet
    v |= 1L << 41;    // set locally-administered bit
    return new MacAddress(v);
  }

  /** The 6 bytes in wire order. */
  public byte[] toBytes() {
    byte[] b = new byte[6];
    for (int i = 0; i < 6; i++) {
      b[i] = (byte) (value >>> (40 - 8 * i));
    }
    return b;
  }

  public boolean isMulticast() {
    return (value & (1L << 40)) != 0;
  }

  public boolean isUnicast() {
    return !isMulticast();
  }

  public boolean isLocallyAdministered() {
    return (value & (1L << 41)) != 0;
  }

  public boolean isZero() {
    return value == 0;
  }

  /** Lower-case colon form, e.g. {@code 2a:95:ed:10:e4:56}. */
  @Override
  public String toString() {
    char[] c = new char[17];
    for (int i = 0; i < 6; i++) {
      int o = (int) (value >>> (40 - 8 * i)) & 0xFF;
      c[i * 3] = HEX[o >>> 4];
      c[i * 3 + 1] = HEX[o & 0xF];
      if (i < 5) {
        c[i * 3 + 2] = ':';
      }
    }
    return new String(c);
  }
}
