package io.jflannel.netlink.socket;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.SaveError;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;

/**
 * The few libc calls the netlink socket needs. Buffers are passed as raw addresses
 * ({@code long}) of direct ByteBuffers so no call allocates.
 */
public interface LibC {
  int AF_NETLINK = 16;
  int SOCK_RAW = 3;
  int SOCK_CLOEXEC = 0x80000;
  int NETLINK_ROUTE = 0;
  int SOL_SOCKET = 1;
  int SO_SNDBUF = 7;
  int SO_RCVBUF = 8;
  int SO_SNDBUFFORCE = 32;
  int SO_RCVBUFFORCE = 33;
  int SO_RCVTIMEO = 20;
  int SOL_NETLINK = 270;
  int NETLINK_ADD_MEMBERSHIP = 1;
  int NETLINK_CAP_ACK = 10;
  int NETLINK_EXT_ACK = 11;
  int NETLINK_GET_STRICT_CHK = 12;
  int MSG_DONTWAIT = 0x40;
  int MSG_TRUNC = 0x20;
  int O_RDONLY = 0;
  int O_RDWR = 2;
  int O_NONBLOCK = 0x800;
  int O_CLOEXEC = 0x80000;
  int CLONE_NEWNET = 0x40000000;

  @SaveError
  int socket(int domain, int type, int protocol);

  @SaveError
  int bind(int fd, long sockaddr, int addrlen);

  @SaveError
  int getsockname(int fd, long sockaddr, long addrlenPtr);

  @SaveError
  int setsockopt(int fd, int level, int optname, long optval, int optlen);

  @SaveError
  int getsockopt(int fd, int level, int optname, long optval, long optlenPtr);

  @SaveError
  @ssize_t
  long send(int fd, long buf, @size_t long len, int flags);

  @SaveError
  @ssize_t
  long recv(int fd, long buf, @size_t long len, int flags);

  @SaveError
  int close(int fd);

  @SaveError
  int open(String path, int flags);

  @SaveError
  int setns(int fd, int nstype);

  /** ioctl(2) with a pointer argument (a direct buffer's address), e.g. TUNSETIFF with a struct ifreq. */
  @SaveError
  int ioctl(int fd, long request, long argp);

  /** dup2(2): makes {@code newfd} refer to what {@code oldfd} refers to, atomically. */
  @SaveError
  int dup2(int oldfd, int newfd);

  int getpid();

  /** The loaded library (throws if JNR/jffi cannot load libc). */
  static LibC get() {
    return Holder.LIBC;
  }

  /** The JNR runtime of {@link #get()} (for errno). */
  static Runtime runtime() {
    return Holder.RUNTIME;
  }

  /** errno of the last call on this thread. */
  static int errno() {
    return Holder.RUNTIME.getLastError();
  }

  /** Lazy holder so that loading failures surface at first use (availability gate). */
  final class Holder {
    /**
     * jnr-ffi's switch between its bytecode-generated invokers (ASM plus hand-assembled x86
     * stubs) and its reflective ones; read once, when jnr-ffi loads its first library.
     */
    static final String ASM_PROPERTY = "jnr.ffi.asm.enabled";
    static final LibC LIBC = load();
    static final Runtime RUNTIME = Runtime.getRuntime(LIBC);

    private Holder() {
    }

    /**
     * Loads libc with jnr-ffi's reflective invokers unless the operator chose otherwise with
     * {@code -Djnr.ffi.asm.enabled=true}: a dozen calls per batch of thousands of netlink
     * messages do not need generated stubs, and not generating them saves the generated classes
     * and their native stubs, which stay resident for the process's life (docs/decisions/0834).
     */
    private static LibC load() {
      if (System.getProperty(ASM_PROPERTY) == null) {
        System.setProperty(ASM_PROPERTY, "false");
      }
      return LibraryLoader.create(LibC.class).load("c");
    }
  }
}
