package io.jflannel.backend.udp;

import com.kenai.jffi.CallContext;
import com.kenai.jffi.CallingConvention;
import com.kenai.jffi.Invoker;
import com.kenai.jffi.LastError;
import com.kenai.jffi.Library;
import com.kenai.jffi.MemoryIO;
import com.kenai.jffi.Type;
import io.jflannel.netlink.Errno;
import io.jflannel.netlink.Link;
import io.jflannel.netlink.NetlinkException;
import io.jflannel.netlink.socket.LibC;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * A TUN device ({@code IFF_TUN | IFF_NO_PI}: every read and write is one bare IP packet) held
 * open by this process. Opened in the calling thread's network namespace; the kernel deletes
 * the device when the last descriptor is closed, as upstream's is.
 *
 * <p>Set-up (open, {@code TUNSETIFF}, {@code dup2}, close) goes through the project's libc
 * binding ({@link LibC}); the per-packet calls ({@link #read}, {@link #write}, {@link #poll})
 * go through jffi's primitive invoker, which passes longs straight to the C function: no
 * argument array, no boxing, nothing allocated per packet (docs/decisions/1051).
 *
 * <p>The descriptor number never changes: {@link #reattach} opens the device again and moves
 * the new descriptor onto the old number with {@code dup2}, so the packet threads never use a
 * number that was closed and perhaps reused for another file.
 */
final class TunDevice implements AutoCloseable {
  /** {@code _IOW('T', 202, int)}. */
  static final long TUNSETIFF = 0x400454caL;
  static final short IFF_TUN = 0x0001;
  static final short IFF_NO_PI = 0x1000;
  /** {@code sizeof(struct ifreq)} on 64-bit Linux: a 16-byte name and a 24-byte union. */
  static final int IFREQ_SIZE = 40;
  static final String CLONE_DEVICE = "/dev/net/tun";
  static final int POLLIN = 0x1;
  static final int EBADFD = 77;

  private static final Invoker INVOKER = Invoker.getInstance();
  /** {@code ssize_t f(int, void *, size_t)}: read and write, errno saved. */
  private static final CallContext IO = CallContext.getCallContext(Type.SLONG,
      new Type[] {Type.SINT, Type.POINTER, Type.ULONG}, CallingConvention.DEFAULT, true);
  /** {@code int poll(struct pollfd *, nfds_t, int)}, errno saved. */
  private static final CallContext POLL = CallContext.getCallContext(Type.SINT,
      new Type[] {Type.POINTER, Type.ULONG, Type.SINT}, CallingConvention.DEFAULT, true);
  private static final long READ = symbol("read");
  private static final long WRITE = symbol("write");
  private static final long POLL_FN = symbol("poll");

  private final String name;
  private final int fd;
  /** One {@code struct pollfd} per thread that polls: only the reader thread does. */
  private final ByteBuffer pollFd = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder());
  private final long pollFdAddr = address(pollFd);
  private volatile boolean closed;

  private TunDevice(String name, int fd) {
    this.name = name;
    this.fd = fd;
    pollFd.putInt(0, fd).putShort(4, (short) POLLIN).putShort(6, (short) 0);
  }

  private static long symbol(String fn) {
    long a = Library.getDefault().getSymbolAddress(fn);
    if (a == 0) {
      throw new UnsatisfiedLinkError("libc has no " + fn + ": " + Library.getLastError());
    }
    return a;
  }

  /** The native address of a direct buffer (fixed for the buffer's life). */
  static long address(ByteBuffer direct) {
    if (!direct.isDirect()) {
      throw new IllegalArgumentException("packet buffers must be direct ByteBuffers");
    }
    return MemoryIO.getInstance().getDirectBufferAddress(direct);
  }

  /**
   * Creates the TUN device {@code name} (or attaches to an existing persistent one) in the
   * calling thread's network namespace, non-blocking.
   *
   * @throws NetlinkException with errno when /dev/net/tun cannot be opened or the kernel refuses the name
   */
  static TunDevice open(String name) throws NetlinkException {
    return new TunDevice(name, openFd(name));
  }

  private static int openFd(String name) throws NetlinkException {
    byte[] bytes = name.getBytes(StandardCharsets.US_ASCII);
    if (bytes.length == 0 || bytes.length > Link.MAX_NAME_BYTES) {
      throw new IllegalArgumentException("TUN device name \"" + name + "\" must have 1.." + Link.MAX_NAME_BYTES
          + " characters");
    }
    LibC libc = LibC.get();
    int fd = libc.open(CLONE_DEVICE, LibC.O_RDWR | LibC.O_NONBLOCK | LibC.O_CLOEXEC);
    if (fd < 0) {
      throw new NetlinkException("open " + CLONE_DEVICE + " (the TUN driver)", LibC.errno(), null);
    }
    ByteBuffer ifr = ByteBuffer.allocateDirect(IFREQ_SIZE).order(ByteOrder.nativeOrder());
    ifr.put(0, bytes);
    ifr.putShort(16, (short) (IFF_TUN | IFF_NO_PI));
    if (libc.ioctl(fd, TUNSETIFF, address(ifr)) != 0) {
      int err = LibC.errno();
      libc.close(fd);
      throw new NetlinkException("ioctl(TUNSETIFF, " + name + ", IFF_TUN|IFF_NO_PI)", err, null);
    }
    return fd;
  }

  /**
   * Creates the device again after it was deleted, under the same descriptor number.
   */
  void reattach() throws NetlinkException {
    int fresh = openFd(name);
    LibC libc = LibC.get();
    int r = libc.dup2(fresh, fd);
    int err = LibC.errno();
    libc.close(fresh);
    if (r < 0) {
      throw new NetlinkException("dup2 onto the descriptor of " + name, err, null);
    }
  }

  String name() {
    return name;
  }

  /**
   * Reads one packet into {@code len} bytes at {@code addr}.
   *
   * @return the packet's length, or minus the errno ({@code -EAGAIN} when none is waiting)
   */
  long read(long addr, int len) {
    long n = INVOKER.invokeL3(IO, READ, fd, addr, len);
    return n >= 0 ? n : -LastError.getInstance().get();
  }

  /**
   * Writes one packet of {@code len} bytes at {@code addr}.
   *
   * @return the bytes written, or minus the errno
   */
  long write(long addr, int len) {
    long n = INVOKER.invokeL3(IO, WRITE, fd, addr, len);
    return n >= 0 ? n : -LastError.getInstance().get();
  }

  /**
   * Waits up to {@code timeoutMillis} for a packet to read. Only one thread may poll.
   *
   * @return 1 when readable (or in error, which the next read reports), 0 on timeout, minus the errno
   */
  int poll(int timeoutMillis) {
    long n = INVOKER.invokeL3(POLL, POLL_FN, pollFdAddr, 1, timeoutMillis);
    return n >= 0 ? (int) n : -LastError.getInstance().get();
  }

  /** Whether an error from {@link #read} means the device is gone (deleted under us). */
  static boolean deviceGone(long negErrno) {
    int e = (int) -negErrno;
    return e == EBADFD || e == Errno.ENODEV || e == 5 /* EIO */;
  }

  boolean isClosed() {
    return closed;
  }

  /** Closes the descriptor; the kernel deletes the device with its address and routes. */
  @Override
  public void close() {
    if (!closed) {
      closed = true;
      LibC.get().close(fd);
    }
  }
}
