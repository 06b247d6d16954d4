package io.jflannel.backend.udp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class Ipv4PacketsTest {
  /** An ICMP echo request 10.244.1.2 -> 10.244.2.2, TTL 64, as ping sends it (header checksum valid). */
  static ByteBuffer echo(int ttl, int proto) {
    ByteBuffer b = ByteBuffer.allocate(84);
    b.put(0, (byte) 0x45).putShort(2, (short) 84).putShort(4, (short) 0x1234).putShort(6, (short) 0x4000)
        .put(8, (byte) ttl).put(9, (byte) proto)
        .put(12, new byte[] {10, (byte) 244, 1, 2}).put(16, new byte[] {10, (byte) 244, 2, 2});
    b.putShort(10, (short) Ipv4Packets.checksum(b, 0, 20));
    b.put(20, (byte) 8);
    return b;
  }

  @Test
  void decrementingTheTtlKeepsTheChecksumValid() {
    for (int ttl = 2; ttl <= 255; ttl++) {
      for (int proto : new int[] {1, 6, 17, 0xff}) {
        ByteBuffer b = echo(ttl, proto);
        assertTrue(Ipv4Packets.decrementTtl(b));
        assertEquals(ttl - 1, b.get(8) & 0xff);
        assertEquals(0, Ipv4Packets.checksum(b, 0, 20), "ttl " + ttl + " proto " + proto);
      }
    }
  }

  @Test
  void aPacketWhoseTtlRunsOutIsDropped() {
    assertFalse(Ipv4Packets.decrementTtl(echo(1, 1)));
    assertFalse(Ipv4Packets.decrementTtl(echo(0, 1)));
  }

  @Test
  void onlyIpv4HeadersPass() {
    assertTrue(Ipv4Packets.isIpv4(echo(64, 1), 84));
    assertFalse(Ipv4Packets.isIpv4(echo(64, 1), 19));
    ByteBuffer v6 = echo(64, 1).put(0, (byte) 0x60);
    assertFalse(Ipv4Packets.isIpv4(v6, 84));
    ByteBuffer shortIhl = echo(64, 1).put(0, (byte) 0x44);
    assertFalse(Ipv4Packets.isIpv4(shortIhl, 84));
    ByteBuffer longIhl = echo(64, 1).put(0, (byte) 0x4f);
    assertFalse(Ipv4Packets.isIpv4(longIhl, 40));
  }

  @Test
  void netUnreachableQuotesTheOffenderBackToItsSender() {
    ByteBuffer udp = echo(64, 17);
    ByteBuffer out = ByteBuffer.allocate(128);
    int src = PeerTable.toInt(new byte[] {10, (byte) 244, 1, 0});
    int n = Ipv4Packets.netUnreachable(udp, 84, src, out);
    assertEquals(20 + 8 + 28, n);
    assertEquals("45000038", HexFormat.of().formatHex(out.array(), 0, 4));
    assertEquals(8, out.get(8));
    assertEquals(1, out.get(9));
    assertEquals(src, out.getInt(12));
    assertEquals(udp.getInt(12), out.getInt(16));
    assertEquals(0, Ipv4Packets.checksum(out, 0, 20));
    assertEquals(3, out.get(20));
    assertEquals(0, out.get(21));
    assertEquals(0, Ipv4Packets.checksum(out, 20, n - 20));
    for (int i = 0; i < 28; i++) {
      assertEquals(udp.get(i), out.get(28 + i));
    }
  }

  @Test
  void noErrorAboutAnIcmpPacketOrALaterFragment() {
    ByteBuffer out = ByteBuffer.allocate(128);
    assertEquals(0, Ipv4Packets.netUnreachable(echo(64, 1), 84, 0, out));
    ByteBuffer fragment = echo(64, 17).putShort(6, (short) 0x0010);
    assertEquals(0, Ipv4Packets.netUnreachable(fragment, 84, 0, out));
  }
}
