package io.jflannel.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator.ExecutionStatus;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.Layout;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jflannel.daemon.flags.LogFormat;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.Test;

class LogSetupTest {
  private static final String NL = System.lineSeparator();
  private static final ZoneId UTC = ZoneId.of("UTC");

  private static LoggingEvent event(LoggerContext ctx, Level level, String instant, String msg, Throwable t,
      Object... args) {
    LoggingEvent e = new LoggingEvent("fqcn", ctx.getLogger("io.jflannel.daemon.run.Daemon"), level, msg, t, args);
    e.setInstant(Instant.parse(instant));
    e.setCallerData(new StackTraceElement[] {
        new StackTraceElement("io.jflannel.daemon.run.Daemon", "start", "Daemon.java", 211)});
    return e;
  }

  private static KlogLayout klog(ZoneId zone, long pid) {
    KlogLayout l = new KlogLayout(zone, pid);
    l.start();
    return l;
  }

  @Test
  void infoLinesOnStderrInKlogsFormat() {
    LoggerContext ctx = new LoggerContext();
    LogSetup setup = new LogSetup();
    setup.setContext(ctx);
    assertEquals(ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY, setup.configure(ctx));
    ch.qos.logback.classic.Logger root = ctx.getLogger("ROOT");
    assertEquals(Level.INFO, root.getLevel());
    ConsoleAppender<?> a = (ConsoleAppender<?>) root.getAppender("STDERR");
    assertEquals("System.err", a.getTarget());
    assertInstanceOf(KlogLayout.class, ((LayoutWrappingEncoder<?>) a.getEncoder()).getLayout());
  }

  /** The line upstream's klog prints: severity, mmdd, time with microseconds, pid in 7 columns, file:line. */
  @Test
  void aLineIsKlogsHeaderThenTheMessage() {
    LoggerContext ctx = new LoggerContext();
    LoggingEvent e = event(ctx, Level.INFO, "2026-12-07T20:35:14.123456789Z", "Wrote subnet file to {}", null,
        "/run/flannel/subnet.env");
    assertEquals("I1207 20:35:14.123456    4321 Daemon.java:211] Wrote subnet file to /run/flannel/subnet.env" + NL,
        klog(UTC, 4321).doLayout(e));
    assertEquals("I1207 20:35:14.123456       1 Daemon.java:211] Wrote subnet file to /run/flannel/subnet.env" + NL,
        klog(UTC, 1).doLayout(e));
    assertEquals("I1207 20:35:14.123456 41943040 Daemon.java:211] Wrote subnet file to /run/flannel/subnet.env" + NL,
        klog(UTC, 41_943_040).doLayout(e), "a pid wider than the column is printed whole");
  }

  @Test
  void severityLettersAreKlogs() {
    LoggerContext ctx = new LoggerContext();
    KlogLayout l = klog(UTC, 7);
    String at = "2026-01-02T03:04:05.000006Z";
    assertEquals("E0102 03:04:05.000006       7 Daemon.java:211] x" + NL, l.doLayout(event(ctx, Level.ERROR, at, "x", null)));
    assertEquals("W0102 03:04:05.000006       7 Daemon.java:211] x" + NL, l.doLayout(event(ctx, Level.WARN, at, "x", null)));
    assertEquals("I0102 03:04:05.000006       7 Daemon.java:211] x" + NL, l.doLayout(event(ctx, Level.INFO, at, "x", null)));
    assertEquals("I0102 03:04:05.000006       7 Daemon.java:211] x" + NL, l.doLayout(event(ctx, Level.DEBUG, at, "x", null)));
    assertEquals("I0102 03:04:05.000006       7 Daemon.java:211] x" + NL, l.doLayout(event(ctx, Level.TRACE, at, "x", null)));
  }

  @Test
  void timeIsLocalWithTheDateOfThatZone() {
    LoggerContext ctx = new LoggerContext();
    LoggingEvent e = event(ctx, Level.INFO, "2026-12-31T20:10:45.007000Z", "m", null);
    assertEquals("I1231 20:10:45.007000       9 Daemon.java:211] m" + NL, klog(UTC, 9).doLayout(e));
    // +05:30: the same instant is already the first of January there.
    assertEquals("I0101 01:40:45.007000       9 Daemon.java:211] m" + NL, klog(ZoneId.of("Asia/Kolkata"), 9).doLayout(e));
  }

  @Test
  void anUnknownCallerIsPrintedAsKlogDoes() {
    LoggerContext ctx = new LoggerContext();
    LoggingEvent e = event(ctx, Level.INFO, "2026-12-07T20:35:14Z", "m", null);
    e.setCallerData(new StackTraceElement[0]);
    assertEquals("I1207 20:35:14.000000       9 ???:1] m" + NL, klog(UTC, 9).doLayout(e));
  }

  @Test
  void aThrowableFollowsTheLine() {
    LoggerContext ctx = new LoggerContext();
    LoggingEvent e = event(ctx, Level.ERROR, "2026-12-07T20:35:14Z", "failed: {}", new IllegalStateException("boom"), "x");
    String out = klog(UTC, 9).doLayout(e);
    assertTrue(out.startsWith("E1207 20:35:14.000000       9 Daemon.java:211] failed: x" + NL
        + "java.lang.IllegalStateException: boom" + NL + "\tat "), out);
  }

  /** A real logging call: the caller data logback takes on the logging thread names this file and line. */
  @Test
  void theCallerIsTheFileAndLineOfTheLoggingCall() {
    LoggerContext ctx = new LoggerContext();
    ctx.setMDCAdapter(new LogbackMDCAdapter());
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    OutputStreamAppender<ILoggingEvent> a = appender(ctx, out, klog(UTC, 9));
    ctx.getLogger("ROOT").addAppender(a);
    int line = new Throwable().getStackTrace()[0].getLineNumber() + 1;
    ctx.getLogger("io.jflannel.test").info("Running backend.");
    String text = out.toString(StandardCharsets.UTF_8);
    assertTrue(text.matches("I\\d{4} \\d{2}:\\d{2}:\\d{2}\\.\\d{6}       9 LogSetupTest\\.java:" + line
        + "\\] Running backend\\." + NL), text);
  }

  private static OutputStreamAppender<ILoggingEvent> appender(LoggerContext ctx, ByteArrayOutputStream out,
      Layout<ILoggingEvent> layout) {
    LayoutWrappingEncoder<ILoggingEvent> enc = new LayoutWrappingEncoder<>();
    enc.setContext(ctx);
    enc.setLayout(layout);
    enc.start();
    OutputStreamAppender<ILoggingEvent> a = new OutputStreamAppender<>();
    a.setContext(ctx);
    a.setEncoder(enc);
    a.setOutputStream(out);
    a.start();
    return a;
  }

  @Test
  void jsonLinesCarryTimeLevelCallerLoggerAndMessage() throws Exception {
    LoggerContext ctx = new LoggerContext();
    JsonLayout l = new JsonLayout();
    l.start();
    String out = l.doLayout(event(ctx, Level.WARN, "2026-12-07T20:35:14.123456789Z", "a \"quoted\"\nsecond line", null));
    assertTrue(out.endsWith(NL) && out.indexOf('\n') == out.length() - 1, "one line: " + out);
    JsonNode n = new ObjectMapper().readTree(out);
    assertEquals(List.of("ts", "level", "caller", "logger", "msg"), names(n));
    assertEquals("2026-12-07T20:35:14.123456Z", n.get("ts").asText());
    assertEquals("warn", n.get("level").asText());
    assertEquals("Daemon.java:211", n.get("caller").asText());
    assertEquals("io.jflannel.daemon.run.Daemon", n.get("logger").asText());
    assertEquals("a \"quoted\"\nsecond line", n.get("msg").asText());

    JsonNode whole = new ObjectMapper().readTree(l.doLayout(event(ctx, Level.INFO, "2026-12-07T20:35:14Z", "m", null)));
    assertEquals("2026-12-07T20:35:14.000000Z", whole.get("ts").asText(), "always six digits");
  }

  @Test
  void jsonCarriesTheStackTraceAsText() throws Exception {
    LoggerContext ctx = new LoggerContext();
    JsonLayout l = new JsonLayout();
    l.start();
    String out = l.doLayout(event(ctx, Level.ERROR, "2026-12-07T20:35:14Z", "failed", new IllegalStateException("boom")));
    assertEquals(1, out.lines().count(), out);
    JsonNode n = new ObjectMapper().readTree(out);
    assertEquals("error", n.get("level").asText());
    assertTrue(n.get("exception").asText().startsWith("java.lang.IllegalStateException: boom" + NL + "\tat "),
        n.get("exception").asText());
  }

  private static List<String> names(JsonNode n) {
    List<String> out = new java.util.ArrayList<>();
    for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
      out.add(it.next());
    }
    return out;
  }

  @Test
  void useSwapsTheLayoutOfThisSetUp() {
    LoggerContext ctx = new LoggerContext();
    LogSetup setup = new LogSetup();
    setup.setContext(ctx);
    setup.configure(ctx);
    LayoutWrappingEncoder<?> enc = (LayoutWrappingEncoder<?>) ((ConsoleAppender<?>) ctx.getLogger("ROOT")
        .getAppender("STDERR")).getEncoder();
    assertTrue(LogSetup.use(ctx, LogFormat.JSON));
    assertInstanceOf(JsonLayout.class, enc.getLayout());
    assertTrue(LogSetup.use(ctx, LogFormat.TEXT));
    assertInstanceOf(KlogLayout.class, enc.getLayout());
    assertFalse(LogSetup.use(new LoggerContext(), LogFormat.JSON), "a context this class did not set up");
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
