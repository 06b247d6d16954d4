package io.jflannel.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.PatternLayout;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import java.time.ZoneId;
import ch.qos.logback.classic.spi.Configurator.ExecutionStatus;
import ch.qos.logback.core.ConsoleAppender;
import java.util.List;
import org.junit.jupiter.api.Test;

class LogSetupTest {

  @Test
  void infoLinesOnStderrWithTheDaemonsPattern() {
    LoggerContext ctx = new LoggerContext();
    LogSetup setup = new LogSetup();
    setup.setContext(ctx);
    assertEquals(ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY, setup.configure(ctx));
    ch.qos.logback.classic.Logger root = ctx.getLogger("ROOT");
    assertEquals(Level.INFO, root.getLevel());
    ConsoleAppender<?> a = (ConsoleAppender<?>) root.getAppender("STDERR");
    assertEquals("System.err", a.getTarget());
    assertTrue(((LayoutWrappingEncoder<?>) a.getEncoder()).getLayout() instanceof LineLayout);
  }

  /** The reference: logback's own PatternLayout compiling the daemon's pattern. */
  private static PatternLayout reference(LoggerContext ctx) {
    PatternLayout p = new PatternLayout();
    p.setContext(ctx);
    p.setPattern(LogSetup.PATTERN);
    p.start();
    return p;
  }

  private static LoggingEvent event(LoggerContext ctx, String logger, Level level, long millis, String msg,
      Throwable t, Object... args) {
    LoggingEvent e = new LoggingEvent("fqcn", ctx.getLogger(logger), level, msg, t, args);
    e.setTimeStamp(millis);
    return e;
  }

  @Test
  void linesMatchWhatThePatternLayoutPrints() {
    LoggerContext ctx = new LoggerContext();
    PatternLayout ref = reference(ctx);
    LineLayout ours = new LineLayout();
    ours.setContext(ctx);
    ours.start();
    Exception nested = new IllegalStateException("outer", new java.io.IOException("inner cause"));
    List<LoggingEvent> events = List.of(
        event(ctx, "io.jflannel.daemon.run.Daemon", Level.INFO, 1_764_720_645_866L, "lease acquired: {}", null,
            "10.1.0.0/24"),
        event(ctx, "io.jflannel.subnet.kube.KubeSubnetManager", Level.WARN, 0L, "short", null),
        event(ctx, "Main", Level.ERROR, 86_399_999L, "failed: {}", nested, "x"),
        event(ctx, "io.jflannel.backend.vxlan.VxlanBackend", Level.DEBUG, 1_000_000_000_123L, "a {} b {}", null,
            1, null),
        event(ctx, "a.b.c.d.e.f.g.h.i.j.k.l.m.Twenty_Two_Chars_Long", Level.TRACE, 946_684_800_001L, "", null),
        event(ctx, "exactly.twenty.chars", Level.INFO, 1_700_000_000_999L, "multi\nline", null));
    for (LoggingEvent e : events) {
      assertEquals(ref.doLayout(e), ours.doLayout(e), "event of " + e.getLoggerName());
    }
  }

  @Test
  void timeOfDayIsLocalAndZeroPadded() {
    LoggerContext ctx = new LoggerContext();
    LineLayout utc = new LineLayout(ZoneId.of("UTC"));
    LineLayout plus = new LineLayout(ZoneId.of("Asia/Kolkata")); // +05:30
    LoggingEvent e = event(ctx, "x", Level.INFO, 1_764_720_645_007L, "m", null); // 2025-12-03T00:10:45.007Z
    assertEquals("00:10:45.007 INFO  x - m" + System.lineSeparator(), utc.doLayout(e));
    assertEquals("05:40:45.007 INFO  x - m" + System.lineSeparator(), plus.doLayout(e));
  }

  @Test
  void anExplicitConfigurationFileWins() {
    LoggerContext ctx = new LoggerContext();
    String before = System.getProperty("logback.configurationFile");
    System.setProperty("logback.configurationFile", "custom.xml");
    try {
      assertEquals(ExecutionStatus.INVOKE_NEXT_IF_ANY, new LogSetup().configure(ctx));
      assertNull(ctx.getLogger("ROOT").getAppender("STDERR"));
    } finally {
      if (before == null) {
        System.clearProperty("logback.configurationFile");
      } else {
        System.setProperty("logback.configurationFile", before);
      }
    }
  }
}
