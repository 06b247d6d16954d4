package io.jflannel.backend.udp;

import java.nio.ByteBuffer;

/**
 * The few IPv4 header operations the forwarder does in place, on big-endian buffers, as
 * upstream's proxy does them: decrement the TTL (patching the header checksum incrementally,
 * RFC 1624) and build an ICMP "network unreachable" for a packet with no owner. Pure; nothing
 * allocates.
 */
final class Ipv4Packets {
  static final int MIN_HEADER = 20;
  static final int PROTO_ICMP = 1;
  static final int ICMP_DEST_UNREACH = 3;
  static final int ICMP_NET_UNREACH = 0;
  /** The TTL upstream gives its ICMP errors. */
  static final int ICMP_TTL = 8;

  private Ipv4Packets() {
  }

  /** Whether the first {@code len} bytes hold an IPv4 header (version 4, IHL 5..15, within len). */
  static boolean isIpv4(ByteBuffer b, int len) {
    if (len < MIN_HEADER) {
      return false;
    }
    int v = b.get(0) & 0xff;
    int ihl = (v & 0x0f) * 4;
    return v >> 4 == 4 && ihl >= MIN_HEADER && ihl <= len;
  }

  /** The destination address as a big-endian int. */
  static int destination(ByteBuffer b) {
    return b.getInt(16);
  }

  /**
   * Decrements the TTL and patches the checksum.
   *
   * @return false when the TTL reached zero (the packet must be dropped)
   */
  static boolean decrementTtl(ByteBuffer b) {
    int ttl = b.get(8) & 0xff;
    if (ttl <= 1) {
      return false;
    }
    int oldWord = b.getShort(8) & 0xffff; // TTL and protocol
    int newWord = oldWord - 0x100;
    b.put(8, (byte) (ttl - 1));
    // RFC 1624, eqn. 3: HC' = ~(~HC + ~m + m')
    int sum = (~b.getShort(10) & 0xffff) + (~oldWord & 0xffff) + newWord;
    sum = (sum & 0xffff) + (sum >>> 16);
    sum = (sum & 0xffff) + (sum >>> 16);
    b.putShort(10, (short) ~sum);
    return true;
  }

  /** The ones'-complement checksum of {@code len} bytes from {@code off}. */
  static int checksum(ByteBuffer b, int off, int len) {
    int sum = 0;
    int i = off;
    for (; i + 1 < off + len; i += 2) {
      sum += b.getShort(i) & 0xffff;
    }
    if (i < off + len) {
      sum += (b.get(i) & 0xff) << 8;
    }
    while (sum >>> 16 != 0) {
      sum = (sum & 0xffff) + (sum >>> 16);
    }
    return ~sum & 0xffff;
  }

  /**
   * Writes into {@code out} (from 0) an ICMP destination-unreachable (network) from
   * {@code source} back to the sender of {@code offender}, quoting its header and first 8
   * bytes; none for an ICMP packet or a non-first fragment (RFC 792, as upstream).
   *
   * @return the length written, or 0 when no error is due
   */
  static int netUnreachable(ByteBuffer offender, int len, int source, ByteBuffer out) {
    int ihl = (offender.get(0) & 0x0f) * 4;
    if ((offender.get(9) & 0xff) == PROTO_ICMP || (offender.getShort(6) & 0x1fff) != 0) {
      return 0;
    }
    int quoted = Math.min(ihl + 8, len);
    int total = MIN_HEADER + 8 + quoted;
    for (int i = 0; i < total; i++) {
      out.put(i, (byte) 0);
    }
    out.put(0, (byte) 0x45);
    out.putShort(2, (short) total);
    out.put(8, (byte) ICMP_TTL);
    out.put(9, (byte) PROTO_ICMP);
    out.putInt(12, source);
    out.putInt(16, offender.getInt(12));
    out.putShort(10, (short) checksum(out, 0, MIN_HEADER));
    out.put(20, (byte) ICMP_DEST_UNREACH);
    out.put(21, (byte) ICMP_NET_UNREACH);
    for (int i = 0; i < quoted; i++) {
      out.put(28 + i, offender.get(i));
    }
    out.putShort(22, (short) checksum(out, 20, 8 + quoted));
    return total;
  }
}
