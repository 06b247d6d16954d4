package io.jflannel.daemon.run;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.SaveError;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;

/**
 * systemd's readiness protocol, as upstream sends it once started: the datagram
 * {@code READY=1} to the unix socket named by {@code $NOTIFY_SOCKET} (a path, or an abstract
 * name when it starts with {@code @}). The JDK's DatagramChannel has no unix-domain sockets in
 * Java 17, so the three libc calls go through jnr-ffi, already used for netlink.
 */
final class SystemdNotify {
  static final int AF_UNIX = 1;
  static final int SOCK_DGRAM = 2;
  static final int SOCK_CLOEXEC = 0x80000;
  /** sizeof(sockaddr_un.sun_path) on Linux. */
  static final int SUN_PATH = 108;

  /** The libc calls; {@code byte[]} arguments are copied in (and out) by jnr-ffi. */
  public interface Socket {
    @SaveError
    int socket(int domain, int type, int protocol);

    @SaveError
    @ssize_t
    long sendto(int fd, byte[] buf, @size_t long len, int flags, byte[] addr, int addrlen);

    @SaveError
    int bind(int fd, byte[] addr, int addrlen);

    @SaveError
    @ssize_t
    long recv(int fd, byte[] buf, @size_t long len, int flags);

    int close(int fd);
  }

  private final String socketName;

  private SystemdNotify(String socketName) {
    this.socketName = socketName;
  }

  /** The notifier when {@code NOTIFY_SOCKET} is set (and not empty), else empty. */
  static Optional<SystemdNotify> fromEnv(Map<String, String> env) {
    String s = env.get("NOTIFY_SOCKET");
    return s == null || s.isEmpty() ? Optional.empty() : Optional.of(new SystemdNotify(s));
  }

  /** Sends {@code READY=1}. */
  void ready() throws IOException {
    send("READY=1");
  }

  void send(String state) throws IOException {
    Socket libc = libc();
    byte[] addr = sockaddr(socketName);
    int fd = libc.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      throw new IOException("socket(AF_UNIX): errno " + Runtime.getSystemRuntime().getLastError());
    }
    try {
      byte[] msg = state.getBytes(StandardCharsets.UTF_8);
      if (libc.sendto(fd, msg, msg.length, 0, addr, addr.length) < 0) {
        throw new IOException("sending " + state + " to NOTIFY_SOCKET " + socketName + ": errno "
            + Runtime.getSystemRuntime().getLastError());
      }
    } finally {
      libc.close(fd);
    }
  }

  /** A sockaddr_un for {@code name}; {@code @name} is abstract (a leading NUL, no trailing one). */
  static byte[] sockaddr(String name) throws IOException {
    boolean abstractName = name.startsWith("@");
    byte[] path = (abstractName ? "\0" + name.substring(1) : name).getBytes(StandardCharsets.UTF_8);
    int pathLen = abstractName ? path.length : path.length + 1;
    if (pathLen > SUN_PATH || path.length <= (abstractName ? 1 : 0)) {
      throw new IOException("NOTIFY_SOCKET " + name + " is not a usable unix socket name");
    }
    byte[] addr = new byte[2 + pathLen];
    addr[0] = (byte) AF_UNIX; // sa_family_t, little-endian on the platforms jflannel runs on
    System.arraycopy(path, 0, addr, 2, path.length);
    return addr;
  }

  static Socket libc() {
    return Holder.LIBC;
  }

  private static final class Holder {
    // reflective invokers unless chosen otherwise, as the other bindings (docs/decisions/0834)
    static final Socket LIBC = load();

    private static Socket load() {
      if (System.getProperty("jnr.ffi.asm.enabled") == null) {
        System.setProperty("jnr.ffi.asm.enabled", "false");
      }
      return LibraryLoader.create(Socket.class).load("c");
    }
  }
}
