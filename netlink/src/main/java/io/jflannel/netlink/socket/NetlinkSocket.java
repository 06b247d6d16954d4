package io.jflannel.netlink.socket;

import io.jflannel.netlink.Errno;
import io.jflannel.netlink.NetlinkException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An AF_NETLINK / NETLINK_ROUTE socket driven through JNR-FFI. The file descriptor is a plain
 * int; buffers are direct ByteBuffers passed by address, so send/receive do not allocate.
 * Created in the calling thread's network namespace, and stays there.
 */
public final class NetlinkSocket implements Transport {
  private final LibC libc;
  private final int fd;
  private final ByteBuffer scratch = ByteBuffer.allocateDirect(64).order(ByteOrder.nativeOrder());
  private final long scratchAddr;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final int rcvbuf;
  private final int sndbuf;
  // address lookups cached: callers reuse the same direct buffers
  private ByteBuffer lastSendBuf;
  private long lastSendAddr;
  private ByteBuffer lastRecvBuf;
  private long lastRecvAddr;

  private NetlinkSocket(LibC libc, int fd) {
    this.libc = libc;
    this.fd = fd;
    this.scratchAddr = address(scratch);
    this.rcvbuf = getIntOpt(LibC.SOL_SOCKET, LibC.SO_RCVBUF);
    this.sndbuf = getIntOpt(LibC.SOL_SOCKET, LibC.SO_SNDBUF);
  }

  /**
   * Opens and binds a socket in the current thread's namespace, with NETLINK_EXT_ACK and
   * NETLINK_CAP_ACK on and the requested buffer sizes (forced past rmem_max/wmem_max when
   * the process has CAP_NET_ADMIN, else as large as allowed).
   *
   * @param groups     RTNLGRP_* numbers to join (empty for a request socket)
   * @param bufBytes   desired SO_RCVBUF and SO_SNDBUF
   * @param rcvTimeoutMs receive timeout (0 = block forever); used by notification threads to notice close
   */
  public static NetlinkSocket open(int[] groups, int bufBytes, int rcvTimeoutMs) throws NetlinkException {
    LibC libc = LibC.get();
    int fd = libc.socket(LibC.AF_NETLINK, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC, LibC.NETLINK_ROUTE);
    if (fd < 0) {
      throw new NetlinkException("socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE)", LibC.errno(), null);
    }
    NetlinkSocket s;
    try {
      s = configure(libc, fd, groups, bufBytes, rcvTimeoutMs);
    } catch (NetlinkException | RuntimeException e) {
      libc.close(fd);
      throw e;
    }
    return s;
  }

  private static NetlinkSocket configure(LibC libc, int fd, int[] groups, int bufBytes, int rcvTimeoutMs)
      throws NetlinkException {
    ByteBuffer b = ByteBuffer.allocateDirect(16).order(ByteOrder.nativeOrder());
    long p = address(b);
    setInt(libc, fd, b, p, LibC.SOL_NETLINK, LibC.NETLINK_EXT_ACK, 1, true);
    setInt(libc, fd, b, p, LibC.SOL_NETLINK, LibC.NETLINK_CAP_ACK, 1, true);
    if (bufBytes > 0) {
      // FORCE needs CAP_NET_ADMIN; fall back to the capped plain option.
      if (!setInt(libc, fd, b, p, LibC.SOL_SOCKET, LibC.SO_RCVBUFFORCE, bufBytes, false)) {
        setInt(libc, fd, b, p, LibC.SOL_SOCKET, LibC.SO_RCVBUF, bufBytes, true);
      }
      if (!setInt(libc, fd, b, p, LibC.SOL_SOCKET, LibC.SO_SNDBUFFORCE, bufBytes, false)) {
        setInt(libc, fd, b, p, LibC.SOL_SOCKET, LibC.SO_SNDBUF, bufBytes, true);
      }
    }
    if (rcvTimeoutMs > 0) {
      b.putLong(0, rcvTimeoutMs / 1000).putLong(8, (rcvTimeoutMs % 1000) * 1000L);
      if (libc.setsockopt(fd, LibC.SOL_SOCKET, LibC.SO_RCVTIMEO, p, 16) != 0) {
        throw new NetlinkException("setsockopt(SO_RCVTIMEO)", LibC.errno(), null);
      }
    }
    // struct sockaddr_nl { u16 family; u16 pad; u32 pid; u32 groups; }: pid 0 = kernel assigns
    b.putShort(0, (short) LibC.AF_NETLINK).putShort(2, (short) 0).putInt(4, 0).putInt(8, 0);
    if (libc.bind(fd, p, 12) != 0) {
      throw new NetlinkException("bind(AF_NETLINK)", LibC.errno(), null);
    }
    for (int g : groups) {
      setInt(libc, fd, b, p, LibC.SOL_NETLINK, LibC.NETLINK_ADD_MEMBERSHIP, g, true);
    }
    return new NetlinkSocket(libc, fd);
  }

  private static boolean setInt(LibC libc, int fd, ByteBuffer b, long p, int level, int opt, int value, boolean must)
      throws NetlinkException {
    b.putInt(0, value);
    if (libc.setsockopt(fd, level, opt, p, 4) == 0) {
      return true;
    }
    int err = LibC.errno();
    if (must) {
      throw new NetlinkException("setsockopt(level " + level + ", option " + opt + ", " + value + ")", err, null);
    }
    return false;
  }

  private int getIntOpt(int level, int opt) {
    scratch.putInt(0, 0).putInt(8, 4);
    if (libc.getsockopt(fd, level, opt, scratchAddr, scratchAddr + 8) != 0) {
      return -1;
    }
    return scratch.getInt(0);
  }

  static long address(ByteBuffer direct) {
    if (!direct.isDirect()) {
      throw new IllegalArgumentException("netlink buffers must be direct ByteBuffers");
    }
    long a = com.kenai.jffi.MemoryIO.getInstance().getDirectBufferAddress(direct);
    if (a == 0) {
      throw new IllegalStateException("no native address for direct buffer");
    }
    return a;
  }

  /** The file descriptor (for diagnostics). */
  public int fd() {
    return fd;
  }

  @Override
  public int receiveBufferSize() {
    return rcvbuf;
  }

  @Override
  public int sendBufferSize() {
    return sndbuf;
  }

  @Override
  public void send(ByteBuffer buf, int len) throws NetlinkException {
    if (buf != lastSendBuf) {
      lastSendAddr = address(buf);
      lastSendBuf = buf;
    }
    long addr = lastSendAddr;
    for (;;) {
      long n = libc.send(fd, addr, len, 0);
      if (n >= 0) {
        if (n != len) {
          throw new NetlinkException("send to netlink: wrote " + n + " of " + len + " bytes", 0, null);
        }
        return;
      }
      int err = LibC.errno();
      if (err != Errno.EINTR) {
        throw new NetlinkException("send to netlink (" + len + " bytes)", err, null);
      }
    }
  }

  @Override
  public int receive(ByteBuffer buf) throws NetlinkException {
    if (buf != lastRecvBuf) {
      lastRecvAddr = address(buf);
      lastRecvBuf = buf;
    }
    long addr = lastRecvAddr;
    int cap = buf.capacity();
    for (;;) {
      // MSG_TRUNC makes netlink report the real datagram length, so truncation is visible.
      long n = libc.recv(fd, addr, cap, LibC.MSG_TRUNC);
      if (n >= 0) {
        if (n > cap) {
          throw new NetlinkException("receive from netlink: datagram of " + n + " bytes exceeds the "
              + cap + "-byte buffer", Errno.EMSGSIZE, null);
        }
        return (int) n;
      }
      int err = LibC.errno();
      if (err != Errno.EINTR) {
        throw new NetlinkException("receive from netlink", err, null);
      }
    }
  }

  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      libc.close(fd);
    }
  }
}
