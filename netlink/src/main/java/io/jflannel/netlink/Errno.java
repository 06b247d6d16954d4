package io.jflannel.netlink;

/** Linux errno names and texts for the values netlink and socket calls return. */
public final class Errno {
  public static final int EPERM = 1;
  public static final int ENOENT = 2;
  public static final int ESRCH = 3;
  public static final int EINTR = 4;
  public static final int EBADF = 9;
  public static final int EAGAIN = 11;
  public static final int ENOMEM = 12;
  public static final int EACCES = 13;
  public static final int EBUSY = 16;
  public static final int EEXIST = 17;
  public static final int ENODEV = 19;
  public static final int EINVAL = 22;
  public static final int ERANGE = 34;
  public static final int EMSGSIZE = 90;
  public static final int EOPNOTSUPP = 95;
  public static final int EAFNOSUPPORT = 97;
  public static final int EADDRNOTAVAIL = 99;
  public static final int ENETDOWN = 100;
  public static final int ENETUNREACH = 101;
  public static final int ENOBUFS = 105;
  public static final int EHOSTUNREACH = 113;

  private static final String[][] TABLE = new String[134][];

  static {
    def(1, "EPERM", "Operation not permitted");
    def(2, "ENOENT", "No such file or directory");
    def(3, "ESRCH", "No such process");
    def(4, "EINTR", "Interrupted system call");
    def(5, "EIO", "Input/output error");
    def(6, "ENXIO", "No such device or address");
    def(7, "E2BIG", "Argument list too long");
    def(9, "EBADF", "Bad file descriptor");
    def(11, "EAGAIN", "Resource temporarily unavailable");
    def(12, "ENOMEM", "Cannot allocate memory");
    def(13, "EACCES", "Permission denied");
    def(14, "EFAULT", "Bad address");
    def(16, "EBUSY", "Device or resource busy");
    def(17, "EEXIST", "File exists");
    def(19, "ENODEV", "No such device");
    def(20, "ENOTDIR", "Not a directory");
    def(22, "EINVAL", "Invalid argument");
    def(23, "ENFILE", "Too many open files in system");
    def(24, "EMFILE", "Too many open files");
    def(28, "ENOSPC", "No space left on device");
    def(34, "ERANGE", "Numerical result out of range");
    def(38, "ENOSYS", "Function not implemented");
    def(39, "ENOTEMPTY", "Directory not empty");
    def(40, "ELOOP", "Too many levels of symbolic links");
    def(61, "ENODATA", "No data available");
    def(71, "EPROTO", "Protocol error");
    def(88, "ENOTSOCK", "Socket operation on non-socket");
    def(90, "EMSGSIZE", "Message too long");
    def(93, "EPROTONOSUPPORT", "Protocol not supported");
    def(95, "EOPNOTSUPP", "Operation not supported");
    def(97, "EAFNOSUPPORT", "Address family not supported by protocol");
    def(98, "EADDRINUSE", "Address already in use");
    def(99, "EADDRNOTAVAIL", "Cannot assign requested address");
    def(100, "ENETDOWN", "Network is down");
    def(101, "ENETUNREACH", "Network is unreachable");
    def(105, "ENOBUFS", "No buffer space available");
    def(107, "ENOTCONN", "Transport endpoint is not connected");
    def(110, "ETIMEDOUT", "Connection timed out");
    def(111, "ECONNREFUSED", "Connection refused");
    def(113, "EHOSTUNREACH", "No route to host");
    def(114, "EALREADY", "Operation already in progress");
    def(115, "EINPROGRESS", "Operation now in progress");
  }

  private Errno() {
  }

  private static void def(int n, String name, String text) {
    TABLE[n] = new String[] {name, text};
  }

  /** Symbolic name, e.g. "EEXIST"; "E#<n>" for numbers without one here. */
  public static String name(int errno) {
    return errno > 0 && errno < TABLE.length && TABLE[errno] != null ? TABLE[errno][0] : "E#" + errno;
  }

  /** The strerror-like text, e.g. "File exists". */
  public static String text(int errno) {
    return errno > 0 && errno < TABLE.length && TABLE[errno] != null ? TABLE[errno][1] : "errno " + errno;
  }
}
