package io.jflannel.netlink.codec;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import static io.jflannel.netlink.codec.Nl.NLMSG_HDRLEN;

/**
 * A captured iproute2 exchange (see src/test/resources/fixtures/README.md): the datagrams the
 * command sent and received, split into netlink messages.
 */
final class Fixture {
  /** One netlink message from a datagram; {@code buf} holds just this message at offset 0. */
  record Msg(boolean sent, ByteBuffer buf) {
    int type() {
      return Replies.type(buf, 0);
    }

    int flags() {
      return Replies.flags(buf, 0);
    }
  }

  final String name;
  final List<Msg> messages = new ArrayList<>();

  private Fixture(String name) {
    this.name = name;
  }

  static Fixture load(String name) {
    Fixture f = new Fixture(name);
    try (InputStream in = Fixture.class.getResourceAsStream("/fixtures/" + name + ".hex")) {
      if (in == null) {
        throw new IllegalArgumentException("no fixture " + name);
      }
      for (String line : new String(in.readAllBytes(), StandardCharsets.US_ASCII).split("\n")) {
        if (line.isBlank() || line.startsWith("#")) {
          continue;
        }
        String[] parts = line.trim().split(" ");
        byte[] bytes = HexFormat.of().parseHex(parts[1]);
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.nativeOrder());
        // iproute2 sometimes hands the kernel a request buffer with zero padding after the
        // message; a zero length marks that tail.
        for (int m = 0; m + NLMSG_HDRLEN <= bytes.length && Replies.length(b, m) != 0
            && Replies.hasMessage(b, m, bytes.length); m = Replies.next(b, m)) {
          int len = Replies.length(b, m);
          ByteBuffer one = ByteBuffer.allocate(len).order(ByteOrder.nativeOrder());
          one.put(0, bytes, m, len);
          f.messages.add(new Msg(parts[0].equals("send"), one));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return f;
  }

  /** The last request of this type the command sent (iproute2 sends name lookups and probes first). */
  Msg lastSent(int type) {
    Msg found = null;
    for (Msg m : messages) {
      if (m.sent && m.type() == type) {
        found = m;
      }
    }
    if (found == null) {
      throw new AssertionError("fixture " + name + " has no sent message of type " + type);
    }
    return found;
  }

  /** Every received message of this type. */
  List<Msg> received(int type) {
    return messages.stream().filter(m -> !m.sent && m.type() == type).toList();
  }

  /** Hex of a message with nlmsg_seq and nlmsg_pid zeroed, for comparison. */
  static String normalized(ByteBuffer b, int len) {
    byte[] copy = new byte[len];
    b.get(0, copy);
    for (int i = 8; i < 16; i++) {
      copy[i] = 0;
    }
    return HexFormat.of().formatHex(copy);
  }
}
