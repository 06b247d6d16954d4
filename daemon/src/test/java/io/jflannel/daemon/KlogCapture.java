package io.jflannel.daemon;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.ZoneId;
import java.util.List;
import java.util.regex.Pattern;
import org.slf4j.LoggerFactory;

/**
 * The lines one logger of this JVM prints, formatted by the daemon's {@link KlogLayout} on the
 * logging thread (so the caller is real), for tests that pin log lines of a unit.
 */
public final class KlogCapture implements AutoCloseable {
  private final Logger logger;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final OutputStreamAppender<ILoggingEvent> appender = new OutputStreamAppender<>();

  private KlogCapture(String name) {
    LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
    logger = ctx.getLogger(name);
    KlogLayout layout = new KlogLayout(ZoneId.systemDefault(), ProcessHandle.current().pid());
    layout.setContext(ctx);
    layout.start();
    LayoutWrappingEncoder<ILoggingEvent> enc = new LayoutWrappingEncoder<>();
    enc.setContext(ctx);
    enc.setLayout(layout);
    enc.start();
    appender.setContext(ctx);
    appender.setEncoder(enc);
    appender.setOutputStream(out);
    appender.start();
    logger.addAppender(appender);
  }

  /** Starts capturing what the logger of {@code of} prints. */
  public static KlogCapture of(Class<?> of) {
    return new KlogCapture(of.getName());
  }

  /** Starts capturing what the logger {@code name} (and the loggers below it) prints. */
  public static KlogCapture of(String name) {
    return new KlogCapture(name);
  }

  /** The lines so far. */
  public synchronized List<String> lines() {
    return out.toString(StandardCharsets.UTF_8).lines().toList();
  }

  /**
   * The klog line for a message of severity {@code severity} ({@code I}, {@code W}, {@code E})
   * printed by this JVM from {@code file}: header fields as patterns, {@code message} exact.
   */
  public static Pattern line(char severity, String file, String message) {
    return Pattern.compile(severity + "\\d{4} \\d{2}:\\d{2}:\\d{2}\\.\\d{6} "
        + String.format("%7d", ProcessHandle.current().pid()) + " " + Pattern.quote(file) + ":\\d+\\] "
        + Pattern.quote(message));
  }

  @Override
  public void close() {
    logger.detachAppender(appender);
    appender.stop();
  }
}
