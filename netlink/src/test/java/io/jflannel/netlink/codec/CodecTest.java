package io.jflannel.netlink.codec;

import static io.jflannel.netlink.codec.Nl.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jflannel.netlink.Link;
import io.jflannel.netlink.VxlanAttrs;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/** Writer/reader mechanics: lengths, padding, nesting, flag bits in attribute types. */
class CodecTest {
  private final ByteBuffer buf = ByteBuffer.allocateDirect(1024);
  private final MessageWriter w = new MessageWriter(buf);

  @Test
  void messagesArePaddedAndLengthsPatched() {
    w.begin(RTM_NEWLINK, NLM_F_REQUEST, 7).ifinfomsg(0, 0, 1, 0, 0).attrU8(IFLA_VXLAN_TTL, 9);
    int len = w.end();
    // attributes are padded as they are written, so nlmsg_len includes the pad (as iproute2's addattr does)
    assertEquals(16 + 16 + 8, len);
    assertEquals(40, w.length(), "next message starts 4-aligned");
    assertEquals(ByteOrder.nativeOrder(), buf.order());
    w.begin(RTM_DELLINK, NLM_F_REQUEST, 8).ifinfomsg(0, 0, 2, 0, 0).end();
    assertEquals(40, Replies.next(buf, 0));
    assertEquals(8, Replies.seq(buf, 40));
    assertEquals(RTM_DELLINK, Replies.type(buf, 40));
  }

  @Test
  void nestedAttributesWithFlagBitsAreDecodedThroughTheTypeMask() throws Exception {
    w.begin(RTM_NEWLINK, 0, 1).ifinfomsg(0, 1, 9, 1, 0).attrString(IFLA_IFNAME, "vx0");
    int info = w.beginNested(IFLA_LINKINFO | NLA_F_NESTED);
    w.attrString(IFLA_INFO_KIND, "vxlan");
    int data = w.beginNested(IFLA_INFO_DATA | NLA_F_NESTED);
    w.attrU32(IFLA_VXLAN_ID, 77).attrU16Be(IFLA_VXLAN_PORT | NLA_F_NET_BYTEORDER, 4789).attrU8(IFLA_VXLAN_LEARNING, 0)
        .attrAddress(IFLA_VXLAN_LOCAL, InetAddress.getByName("192.0.2.9")).attrFlag(IFLA_VXLAN_GBP);
    w.endNested(data);
    w.endNested(info);
    w.end();
    assertEquals(data - info + 4 + 8 + 8 + 8 + 8 + 4, buf.getShort(info), "nested length covers its padded children");
    Link l = Replies.link(buf, 0);
    assertEquals("vx0", l.name());
    assertEquals("vxlan", l.kind());
    assertTrue(l.up());
    assertEquals(new VxlanAttrs(77, 0, InetAddress.getByName("192.0.2.9"), 4789, false, true, 0), l.vxlan().orElseThrow());
  }

  @Test
  void portIsBigEndianOnTheWire() {
    w.begin(RTM_NEWLINK, 0, 1).attrU16Be(IFLA_VXLAN_PORT, 8472).end();
    assertEquals(0x21, buf.get(16 + 4) & 0xFF);
    assertEquals(0x18, buf.get(16 + 5) & 0xFF);
  }

  @Test
  void truncatedMessagesAreRejectedWithTheOffset() {
    w.begin(RTM_NEWLINK, 0, 1).ifinfomsg(0, 0, 1, 0, 0).end();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Replies.hasMessage(buf, 0, 20));
    assertTrue(e.getMessage().contains("offset 0"), e.getMessage());
  }
}
