package io.jflannel.daemon;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.CoreConstants;
import ch.qos.logback.core.LayoutBase;
import java.time.LocalDateTime;
import java.time.ZoneId;

/**
 * The daemon's default log line, klog's header and the message, as upstream flanneld prints:
 * {@code I1207 20:35:14.123456    4321 Daemon.java:123] Wrote subnet file to /run/flannel/subnet.env}.
 * The header is the severity letter (I, W, E; debug and trace print as I, like klog's
 * verbosity levels), month and day, local time with microseconds, the process id right-aligned
 * in seven columns, and the source file and line of the logging call. A throwable's stack
 * trace follows on the next lines.
 *
 * <p>Written by hand rather than through a logback pattern: a {@code PatternLayout} loads about
 * 140 converter classes for good (docs/decisions/0834), and no pattern word prints the process
 * id. The file and line come from logback's caller data (decision 1000).
 */
final class KlogLayout extends LayoutBase<ILoggingEvent> {
  /** What klog prints when the caller is unknown. */
  static final String UNKNOWN_CALLER = "???:1";

  private final ZoneId zone;
  private final String pid;

  KlogLayout() {
    this(ZoneId.systemDefault(), ProcessHandle.current().pid());
  }

  KlogLayout(ZoneId zone, long pid) {
    this.zone = zone;
    String digits = Long.toString(pid);
    this.pid = " ".repeat(Math.max(0, 7 - digits.length())) + digits;
  }

  @Override
  public String doLayout(ILoggingEvent event) {
    StringBuilder b = new StringBuilder(128);
    b.append(severity(event.getLevel()));
    LocalDateTime t = LocalDateTime.ofInstant(event.getInstant(), zone);
    digits(b, t.getMonthValue(), 2);
    digits(b, t.getDayOfMonth(), 2).append(' ');
    digits(b, t.getHour(), 2).append(':');
    digits(b, t.getMinute(), 2).append(':');
    digits(b, t.getSecond(), 2).append('.');
    digits(b, t.getNano() / 1000, 6).append(' ');
    b.append(pid).append(' ');
    b.append(caller(event)).append("] ");
    String msg = event.getFormattedMessage();
    b.append(msg);
    if (msg == null || !msg.endsWith("\n")) {
      b.append(CoreConstants.LINE_SEPARATOR);
    }
    IThrowableProxy thrown = event.getThrowableProxy();
    if (thrown != null) {
      b.append(ThrowableProxyUtil.asString(thrown));
    }
    return b.toString();
  }

  /** klog's severity letter for a logback level. */
  static char severity(Level level) {
    if (level.isGreaterOrEqual(Level.ERROR)) {
      return 'E';
    }
    return level.isGreaterOrEqual(Level.WARN) ? 'W' : 'I';
  }

  /**
   * {@code File.java:line} of the logging call, from logback's caller data: a stack walk of
   * the logging thread, taken while the console appender formats the event on that thread.
   */
  static String caller(ILoggingEvent event) {
    StackTraceElement[] frames = event.getCallerData();
    if (frames == null || frames.length == 0 || frames[0].getFileName() == null) {
      return UNKNOWN_CALLER;
    }
    StackTraceElement f = frames[0];
    return f.getFileName() + ":" + Math.max(f.getLineNumber(), 0);
  }

  private static StringBuilder digits(StringBuilder b, int value, int width) {
    String s = Integer.toString(value);
    for (int i = s.length(); i < width; i++) {
      b.append('0');
    }
    return b.append(s);
  }
}
