package io.jflannel.daemon;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ConfiguratorRank;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import ch.qos.logback.core.spi.ContextAwareBase;
import org.slf4j.Logger;

/**
 * The daemon's logging set-up in code: one line per event on stderr at INFO, like upstream's
 * klog output. Logback finds it through the ServiceLoader before its XML configurators, which
 * saves the daemon's start-up the XML parser (about 450 classes, see docs/decisions/0804), and
 * prints lines with {@link LineLayout} rather than a pattern layout (0834).
 * An operator's {@code -Dlogback.configurationFile=...} still wins: then this configurator
 * steps aside.
 */
@ConfiguratorRank(ConfiguratorRank.CUSTOM_HIGH_PRIORITY)
public final class LogSetup extends ContextAwareBase implements Configurator {
  /**
   * The line format as a logback pattern: time, level, abbreviated logger, message. Printed
   * by {@link LineLayout}, which needs no pattern compiler (docs/decisions/0834); an operator's
   * own configuration file can use this pattern.
   */
  public static final String PATTERN = "%d{HH:mm:ss.SSS} %-5level %logger{20} - %msg%n";

  @Override
  public ExecutionStatus configure(LoggerContext ctx) {
    if (System.getProperty("logback.configurationFile") != null) {
      return ExecutionStatus.INVOKE_NEXT_IF_ANY;
    }
    LineLayout layout = new LineLayout();
    layout.setContext(ctx);
    layout.start();
    LayoutWrappingEncoder<ILoggingEvent> encoder = new LayoutWrappingEncoder<>();
    encoder.setContext(ctx);
    encoder.setLayout(layout);
    encoder.start();
    ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
    stderr.setContext(ctx);
    stderr.setName("STDERR");
    stderr.setTarget("System.err");
    stderr.setEncoder(encoder);
    stderr.start();
    ch.qos.logback.classic.Logger root = ctx.getLogger(Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.INFO);
    root.addAppender(stderr);
    QUIETER.forEach((name, level) -> ctx.getLogger(name).setLevel(level));
    return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
  }

  /**
   * fabric8 loggers raised above INFO (decision 0974). An abruptly closed node watch made the
   * WebSocket wrapper print two WARN lines and a stack trace (it echoes the peer's 1006 close
   * code, which the JDK refuses to send); the informer's reflector repeated every list failure
   * with its stack trace; the watch manager adds one after ten reconnects. The watch reconnects
   * by itself, and jflannel's own lines say what matters: one line when a lost watch comes back,
   * one ERROR per failed list.
   */
  static final java.util.Map<String, Level> QUIETER = java.util.Map.of(
      "io.fabric8.kubernetes.client.jdkhttp.JdkWebSocketImpl", Level.ERROR,
      "io.fabric8.kubernetes.client.informers.impl.cache.Reflector", Level.ERROR,
      "io.fabric8.kubernetes.client.dsl.internal.AbstractWatchManager", Level.WARN);
}
