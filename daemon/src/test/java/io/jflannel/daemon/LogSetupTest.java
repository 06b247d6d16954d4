package io.jflannel.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator.ExecutionStatus;
import ch.qos.logback.core.ConsoleAppender;
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
    assertEquals(LogSetup.PATTERN, ((PatternLayoutEncoder) a.getEncoder()).getPattern());
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
