package io.jflannel.netlink;

import io.jflannel.netlink.codec.MessageWriter;
import io.jflannel.netlink.codec.Nl;
import io.jflannel.netlink.codec.Replies;
import io.jflannel.netlink.socket.Transport;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * A scripted stand-in for the kernel side of a netlink socket: every sent datagram is split
 * into requests and handed to a responder, which queues reply datagrams (or errors).
 */
final class FakeKernel implements Transport {
  /** A request as sent: type, flags, seq and a copy of its bytes. */
  record Request(int type, int flags, int seq, ByteBuffer bytes) {
  }

  final List<Request> requests = new ArrayList<>();
  final List<Integer> datagramsSent = new ArrayList<>();
  private final Deque<Object> replies = new ArrayDeque<>();
  private final BiConsumer<Request, FakeKernel> responder;
  boolean closed;

  FakeKernel(BiConsumer<Request, FakeKernel> responder) {
    this.responder = responder;
  }

  @Override
  public void send(ByteBuffer buf, int len) {
    int count = 0;
    for (int m = 0; Replies.hasMessage(buf, m, len); m = Replies.next(buf, m)) {
      int l = Replies.length(buf, m);
      ByteBuffer copy = ByteBuffer.allocate(l).order(ByteOrder.nativeOrder());
      for (int i = 0; i < l; i++) {
        copy.put(i, buf.get(m + i));
      }
      Request r = new Request(Replies.type(buf, m), Replies.flags(buf, m), Replies.seq(buf, m), copy);
      requests.add(r);
      responder.accept(r, this);
      count++;
    }
    datagramsSent.add(count);
  }

  @Override
  public int receive(ByteBuffer buf) throws NetlinkException {
    Object next = replies.poll();
    if (next == null) {
      throw new AssertionError("receive() with nothing queued: the code under test would block forever");
    }
    if (next instanceof NetlinkException e) {
      throw e;
    }
    byte[] b = (byte[]) next;
    buf.clear();
    buf.put(0, b);
    return b.length;
  }

  @Override
  public int receiveBufferSize() {
    return 1 << 20;
  }

  @Override
  public int sendBufferSize() {
    return 1 << 20;
  }

  @Override
  public void close() {
    closed = true;
  }

  /** Queues one reply datagram. */
  void reply(byte[] datagram) {
    replies.add(datagram);
  }

  /** Queues a socket error for the next receive. */
  void fail(int errno) {
    replies.add(new NetlinkException("receive from netlink", errno, null));
  }

  /** An NLMSG_ERROR datagram answering {@code r} (errno 0 = ACK), capped, with optional ext-ack text. */
  static byte[] ack(Request r, int errno, String extAck) {
    ByteBuffer b = ByteBuffer.allocate(256).order(ByteOrder.nativeOrder());
    int flags = Nl.NLM_F_CAPPED | (extAck != null ? Nl.NLM_F_ACK_TLVS : 0);
    b.putInt(0).putShort((short) Nl.NLMSG_ERROR).putShort((short) flags).putInt(r.seq()).putInt(4242);
    b.putInt(-errno);
    for (int i = 0; i < 16; i++) {
      b.put(r.bytes().get(i));
    }
    if (extAck != null) {
      byte[] s = extAck.getBytes(StandardCharsets.UTF_8);
      b.putShort((short) (4 + s.length + 1)).putShort((short) Nl.NLMSGERR_ATTR_MSG).put(s).put((byte) 0);
      while ((b.position() & 3) != 0) {
        b.put((byte) 0);
      }
    }
    int len = b.position();
    b.putInt(0, len);
    byte[] out = new byte[len];
    b.get(0, out);
    return out;
  }

  /** Concatenates messages into one datagram. */
  static byte[] datagram(byte[]... msgs) {
    int n = 0;
    for (byte[] m : msgs) {
      n += m.length;
    }
    ByteBuffer b = ByteBuffer.allocate(n);
    for (byte[] m : msgs) {
      b.put(m);
    }
    return b.array();
  }

  /** An RTM_NEWLINK message named {@code name} with index {@code index}. */
  static byte[] linkMessage(int seq, int flags, int index, String name) {
    ByteBuffer b = ByteBuffer.allocateDirect(256);
    MessageWriter w = new MessageWriter(b);
    w.begin(Nl.RTM_NEWLINK, flags, seq).ifinfomsg(0, 1, index, 0, 0).attrString(Nl.IFLA_IFNAME, name).attrU32(Nl.IFLA_MTU, 1500);
    w.end();
    byte[] out = new byte[w.length()];
    b.get(0, out);
    return out;
  }

  /** NLMSG_DONE with the given errno (0 = success). */
  static byte[] done(int seq, int flags, int errno) {
    ByteBuffer b = ByteBuffer.allocate(20).order(ByteOrder.nativeOrder());
    b.putInt(20).putShort((short) Nl.NLMSG_DONE).putShort((short) (flags | Nl.NLM_F_MULTI)).putInt(seq).putInt(4242).putInt(-errno);
    return b.array();
  }
}
