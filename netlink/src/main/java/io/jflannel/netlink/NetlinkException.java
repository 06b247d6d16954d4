package io.jflannel.netlink;

import java.io.IOException;

/**
 * A failed netlink operation: the kernel's errno, its extended-ack text when it sent one,
 * and the operation in iproute2 words. The message reads like
 * {@code route replace 10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink: EINVAL (Invalid argument): Nexthop has invalid gateway}.
 */
public class NetlinkException extends IOException {
  private static final long serialVersionUID = 1L;

  private final String operation;
  private final int errno;
  private final String extAck;

  /**
   * @param operation what was attempted, e.g. "route add 10.0.0.0/8 dev eth0"
   * @param errno     positive errno; 0 when the failure has no errno (protocol error)
   * @param extAck    the kernel's NLMSGERR_ATTR_MSG text, or null
   */
  public NetlinkException(String operation, int errno, String extAck) {
    this(operation, errno, extAck, null);
  }

  public NetlinkException(String operation, int errno, String extAck, Throwable cause) {
    super(format(operation, errno, extAck), cause);
    this.operation = operation;
    this.errno = errno;
    this.extAck = extAck;
  }

  private static String format(String operation, int errno, String extAck) {
    StringBuilder sb = new StringBuilder(operation);
    if (errno != 0) {
      sb.append(": ").append(Errno.name(errno)).append(" (").append(Errno.text(errno)).append(')');
    }
    if (extAck != null && !extAck.isEmpty()) {
      sb.append(": ").append(extAck);
    }
    return sb.toString();
  }

  /** Positive errno (e.g. 17 for EEXIST), 0 when none applies. */
  public int errno() {
    return errno;
  }

  /** Symbolic errno, e.g. "EEXIST". */
  public String errnoName() {
    return Errno.name(errno);
  }

  /** The kernel's extended-ack message, or null. */
  public String extAck() {
    return extAck;
  }

  /** The operation that failed, in iproute2 words. */
  public String operation() {
    return operation;
  }
}
