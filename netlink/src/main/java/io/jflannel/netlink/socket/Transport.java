package io.jflannel.netlink.socket;

import io.jflannel.netlink.NetlinkException;
import java.nio.ByteBuffer;

/**
 * A datagram pipe to the kernel's rtnetlink: the seam between the facade and the JNR socket,
 * so request/reply logic (dumps, retries, batches) can be tested with a fake.
 */
public interface Transport extends AutoCloseable {
  /** Sends bytes [0, len) of {@code buf} as one datagram (it may hold many netlink messages). */
  void send(ByteBuffer buf, int len) throws NetlinkException;

  /**
   * Receives one datagram into {@code buf} starting at 0, returns its length.
   * Throws with errno ENOBUFS when the kernel dropped messages, EAGAIN on a receive timeout.
   */
  int receive(ByteBuffer buf) throws NetlinkException;

  /** Actual receive buffer size in bytes (as the kernel accounts it). */
  int receiveBufferSize();

  /** Actual send buffer size in bytes. */
  int sendBufferSize();

  @Override
  void close();
}
