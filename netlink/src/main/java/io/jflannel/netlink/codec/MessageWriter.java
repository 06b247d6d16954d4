package io.jflannel.netlink.codec;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Appends netlink messages to a ByteBuffer (native byte order) without allocating: begin a
 * message, put its fixed header and attributes, end it (which patches the length). Several
 * messages can follow each other in one buffer (one sendmsg). Pure: no I/O.
 */
public final class MessageWriter {
  private ByteBuffer buf;
  private int msgStart = -1;

  public MessageWriter(ByteBuffer buf) {
    reset(buf);
  }

  /** Starts writing at position 0 of {@code b} (its order is set to native). */
  public MessageWriter reset(ByteBuffer b) {
    this.buf = b;
    b.order(ByteOrder.nativeOrder());
    b.clear();
    msgStart = -1;
    return this;
  }

  /** Discards everything written. */
  public void clear() {
    buf.clear();
    msgStart = -1;
  }

  /** Bytes written so far. */
  public int length() {
    return buf.position();
  }

  /** Space left in the buffer. */
  public int remaining() {
    return buf.remaining();
  }

  public ByteBuffer buffer() {
    return buf;
  }

  /** Starts a message: writes an nlmsghdr with length 0 (patched by {@link #end()}) and pid 0. */
  public MessageWriter begin(int type, int flags, int seq) {
    if (msgStart >= 0) {
      throw new IllegalStateException("message already open");
    }
    msgStart = buf.position();
    buf.putInt(0).putShort((short) type).putShort((short) flags).putInt(seq).putInt(0);
    return this;
  }

  /** Finishes the open message: patches nlmsg_len, pads to 4 bytes. Returns its length. */
  public int end() {
    int len = buf.position() - msgStart;
    buf.putInt(msgStart, len);
    pad();
    msgStart = -1;
    return len;
  }

  /** Drops a partially written message (e.g. the buffer filled up). */
  public void abort() {
    if (msgStart >= 0) {
      buf.position(msgStart);
      msgStart = -1;
    }
  }

  private void pad() {
    while ((buf.position() & 3) != 0) {
      buf.put((byte) 0);
    }
  }

  /** struct ifinfomsg. */
  public MessageWriter ifinfomsg(int family, int type, int index, int flags, int change) {
    buf.put((byte) family).put((byte) 0).putShort((short) type).putInt(index).putInt(flags).putInt(change);
    return this;
  }

  /** struct ifaddrmsg. */
  public MessageWriter ifaddrmsg(int family, int prefixLen, int flags, int scope, int index) {
    buf.put((byte) family).put((byte) prefixLen).put((byte) flags).put((byte) scope).putInt(index);
    return this;
  }

  /** struct rtmsg. */
  public MessageWriter rtmsg(int family, int dstLen, int srcLen, int tos, int table, int protocol, int scope, int type,
                             int flags) {
    buf.put((byte) family).put((byte) dstLen).put((byte) srcLen).put((byte) tos)
        .put((byte) table).put((byte) protocol).put((byte) scope).put((byte) type).putInt(flags);
    return this;
  }

  /** struct ndmsg. */
  public MessageWriter ndmsg(int family, int index, int state, int flags, int type) {
    buf.put((byte) family).put((byte) 0).putShort((short) 0).putInt(index).putShort((short) state)
        .put((byte) flags).put((byte) type);
    return this;
  }

  private void attrHeader(int type, int payloadLen) {
    buf.putShort((short) (4 + payloadLen)).putShort((short) type);
  }

  public MessageWriter attrU8(int type, int v) {
    attrHeader(type, 1);
    buf.put((byte) v);
    pad();
    return this;
  }

  public MessageWriter attrU16(int type, int v) {
    attrHeader(type, 2);
    buf.putShort((short) v);
    pad();
    return this;
  }

  /** A 16-bit value in network byte order (e.g. IFLA_VXLAN_PORT). */
  public MessageWriter attrU16Be(int type, int v) {
    attrHeader(type, 2);
    buf.put((byte) (v >>> 8)).put((byte) v);
    pad();
    return this;
  }

  public MessageWriter attrU32(int type, int v) {
    attrHeader(type, 4);
    buf.putInt(v);
    return this;
  }

  /** A flag attribute (no payload), e.g. IFLA_VXLAN_GBP. */
  public MessageWriter attrFlag(int type) {
    attrHeader(type, 0);
    return this;
  }

  public MessageWriter attrBytes(int type, byte[] v) {
    attrHeader(type, v.length);
    buf.put(v);
    pad();
    return this;
  }

  /** An address in network order (4 or 16 bytes). */
  public MessageWriter attrAddress(int type, InetAddress a) {
    return attrBytes(type, a.getAddress());
  }

  /** A 6-byte MAC address held in a long. */
  public MessageWriter attrMac(int type, long mac) {
    attrHeader(type, 6);
    for (int i = 0; i < 6; i++) {
      buf.put((byte) (mac >>> (40 - 8 * i)));
    }
    pad();
    return this;
  }

  /** A NUL-terminated string (IFLA_IFNAME). */
  public MessageWriter attrString(int type, String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    attrHeader(type, b.length + 1);
    buf.put(b).put((byte) 0);
    pad();
    return this;
  }

  /** A string without terminator (IFLA_INFO_KIND, as iproute2 sends it). */
  public MessageWriter attrStringNoNul(int type, String s) {
    return attrBytes(type, s.getBytes(StandardCharsets.UTF_8));
  }

  /** Opens a nested attribute; returns the token to pass to {@link #endNested(int)}. */
  public int beginNested(int type) {
    int pos = buf.position();
    attrHeader(type, 0);
    return pos;
  }

  public MessageWriter endNested(int token) {
    buf.putShort(token, (short) (buf.position() - token));
    return this;
  }
}
