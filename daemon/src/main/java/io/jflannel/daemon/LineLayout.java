package io.jflannel.daemon;

import ch.qos.logback.classic.pattern.Abbreviator;
import ch.qos.logback.classic.pattern.TargetLengthBasedClassNameAbbreviator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.CoreConstants;
import ch.qos.logback.core.LayoutBase;
import java.time.Instant;
import java.time.ZoneId;
import java.time.zone.ZoneRules;

/**
 * The daemon's log line, {@code HH:mm:ss.SSS LEVEL logger - message}, then the stack trace of
 * an attached throwable: what logback's {@code PatternLayout} prints for
 * {@link LogSetup#PATTERN}, without compiling a pattern. A {@code PatternLayout} registers a
 * converter for every conversion word it knows, about 140 classes and lambdas that a node
 * agent keeps loaded for good (docs/decisions/0834); {@code LogSetupTest} checks that both
 * print the same lines.
 */
final class LineLayout extends LayoutBase<ILoggingEvent> {
  /** {@code %logger{20}}: package segments shortened to one letter until the name fits in 20. */
  static final int LOGGER_LENGTH = 20;

  private final Abbreviator abbreviator = new TargetLengthBasedClassNameAbbreviator(LOGGER_LENGTH);
  private final ZoneRules zone;

  LineLayout() {
    this(ZoneId.systemDefault());
  }

  LineLayout(ZoneId zone) {
    this.zone = zone.getRules();
  }

  @Override
  public String doLayout(ILoggingEvent event) {
    StringBuilder b = new StringBuilder(128);
    time(b, event.getTimeStamp());
    b.append(' ');
    String level = event.getLevel().toString();
    b.append(level);
    for (int i = level.length(); i < 5; i++) {
      b.append(' ');
    }
    b.append(' ');
    b.append(abbreviator.abbreviate(event.getLoggerName()));
    b.append(" - ").append(event.getFormattedMessage()).append(CoreConstants.LINE_SEPARATOR);
    IThrowableProxy thrown = event.getThrowableProxy();
    if (thrown != null) {
      b.append(ThrowableProxyUtil.asString(thrown));
    }
    return b.toString();
  }

  /** Appends {@code HH:mm:ss.SSS} of the epoch milliseconds in this layout's time zone. */
  private void time(StringBuilder b, long millis) {
    long seconds = Math.floorDiv(millis, 1000);
    int offset = zone.getOffset(Instant.ofEpochSecond(seconds)).getTotalSeconds();
    int ofDay = (int) Math.floorMod(seconds + offset, 86_400L);
    two(b, ofDay / 3600).append(':');
    two(b, ofDay / 60 % 60).append(':');
    two(b, ofDay % 60).append('.');
    int ms = (int) Math.floorMod(millis, 1000L);
    b.append((char) ('0' + ms / 100)).append((char) ('0' + ms / 10 % 10)).append((char) ('0' + ms % 10));
  }

  private static StringBuilder two(StringBuilder b, int v) {
    return b.append((char) ('0' + v / 10)).append((char) ('0' + v % 10));
  }
}
