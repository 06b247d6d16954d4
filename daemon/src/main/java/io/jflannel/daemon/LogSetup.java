package io.jflannel.daemon;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ConfiguratorRank;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.Layout;
import ch.qos.logback.core.LayoutBase;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import ch.qos.logback.core.spi.ContextAwareBase;
import io.jflannel.daemon.flags.LogFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's logging set-up in code: one klog line per event on stderr at INFO, as upstream
 * flanneld prints (decision 1000). Logback finds it through the ServiceLoader before its XML
 * configurators, which saves the daemon's start-up the XML parser (about 450 classes, see
 * docs/decisions/0804), and prints lines with {@link KlogLayout} rather than a pattern layout
 * (0834). {@code --log-format=json} swaps the layout for {@link JsonLayout} before the daemon
 * writes its first line ({@link #use}).
 * An operator's {@code -Dlogback.configurationFile=...} still wins: then this configurator
 * steps aside, and {@code --log-format} has no effect.
 */
@ConfiguratorRank(ConfiguratorRank.CUSTOM_HIGH_PRIORITY)
public final class LogSetup extends ContextAwareBase implements Configurator {
  /** The name of the console appender this set-up installs. */
  static final String APPENDER = "STDERR";

  @Override
  public ExecutionStatus configure(LoggerContext ctx) {
    if (System.getProperty("logback.configurationFile") != null) {
      return ExecutionStatus.INVOKE_NEXT_IF_ANY;
    }
    LayoutWrappingEncoder<ILoggingEvent> encoder = new LayoutWrappingEncoder<>();
    encoder.setContext(ctx);
    encoder.setLayout(layout(ctx, LogFormat.TEXT));
    encoder.start();
    ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
    stderr.setContext(ctx);
    stderr.setName(APPENDER);
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
   * Makes this process's log lines use {@code format}. Called by the entry point after the
   * flags are parsed and before anything is logged, so every line comes out in one format.
   * Does nothing when an operator's configuration file replaced this set-up.
   */
  public static void use(LogFormat format) {
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext ctx) {
      use(ctx, format);
    }
  }

  /** {@link #use(LogFormat)} on a given context; false when that context is not set up by this class. */
  static boolean use(LoggerContext ctx, LogFormat format) {
    Appender<ILoggingEvent> a = ctx.getLogger(Logger.ROOT_LOGGER_NAME).getAppender(APPENDER);
    if (!(a instanceof ConsoleAppender<ILoggingEvent> console)
        || !(console.getEncoder() instanceof LayoutWrappingEncoder<ILoggingEvent> encoder)) {
      return false;
    }
    Layout<ILoggingEvent> current = encoder.getLayout();
    if (format == LogFormat.JSON ? current instanceof JsonLayout : current instanceof KlogLayout) {
      return true;
    }
    encoder.setLayout(layout(ctx, format));
    current.stop();
    return true;
  }

  private static Layout<ILoggingEvent> layout(LoggerContext ctx, LogFormat format) {
    LayoutBase<ILoggingEvent> layout = format == LogFormat.JSON ? new JsonLayout() : new KlogLayout();
    layout.setContext(ctx);
    layout.start();
    return layout;
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
