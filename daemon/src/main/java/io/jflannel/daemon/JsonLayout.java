package io.jflannel.daemon;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.CoreConstants;
import ch.qos.logback.core.LayoutBase;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * {@code --log-format=json}: one JSON object per line, for log pipelines. Fields: {@code ts}
 * (RFC 3339 in UTC with microseconds), {@code level} ({@code info}, {@code warn}, ...),
 * {@code caller} ({@code File.java:line}, as in the text line), {@code logger}, {@code msg},
 * and {@code exception} (the stack trace as text) when one is attached. Jackson's generator
 * does the escaping, so a message with quotes or newlines stays one line of valid JSON.
 */
final class JsonLayout extends LayoutBase<ILoggingEvent> {
  private static final DateTimeFormatter TS =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSSX", Locale.ROOT).withZone(ZoneOffset.UTC);

  private final JsonFactory factory = new JsonFactory();

  @Override
  public String doLayout(ILoggingEvent event) {
    StringWriter out = new StringWriter(192);
    try (JsonGenerator g = factory.createGenerator(out)) {
      g.writeStartObject();
      g.writeStringField("ts", TS.format(event.getInstant()));
      g.writeStringField("level", event.getLevel().toString().toLowerCase(Locale.ROOT));
      g.writeStringField("caller", KlogLayout.caller(event));
      g.writeStringField("logger", event.getLoggerName());
      g.writeStringField("msg", event.getFormattedMessage());
      IThrowableProxy thrown = event.getThrowableProxy();
      if (thrown != null) {
        g.writeStringField("exception", ThrowableProxyUtil.asString(thrown));
      }
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a StringWriter does not fail
    }
    return out.append(CoreConstants.LINE_SEPARATOR).toString();
  }
}
