package io.jflannel.backend;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * The log lines of one class while a test runs (logback), for asserting how often something is
 * said. Reads lock the appender, as logback's appends do.
 */
public final class LogCapture implements AutoCloseable {
  private final Logger logger;
  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

  private LogCapture(Class<?> source) {
    logger = (Logger) LoggerFactory.getLogger(source);
    appender.start();
    logger.addAppender(appender);
  }

  /** Starts capturing what {@code source}'s logger writes. */
  public static LogCapture of(Class<?> source) {
    return new LogCapture(source);
  }

  /** The formatted lines at {@code level} that contain {@code text}. */
  public List<String> lines(Level level, String text) {
    synchronized (appender) {
      return appender.list.stream().filter(e -> e.getLevel() == level)
          .map(ILoggingEvent::getFormattedMessage).filter(m -> m.contains(text)).toList();
    }
  }

  /** Every captured line with its level, for failure messages. */
  public String all() {
    synchronized (appender) {
      StringBuilder sb = new StringBuilder();
      appender.list.forEach(e -> sb.append(e.getLevel()).append(' ').append(e.getFormattedMessage()).append('\n'));
      return sb.toString();
    }
  }

  @Override
  public void close() {
    logger.detachAppender(appender);
  }
}
