package io.jflannel.daemon.flags;

import java.util.Locale;

/** {@code --log-format}: how the daemon writes its log lines on stderr. */
public enum LogFormat {
  /** klog's line, as upstream flanneld prints: {@code I1207 20:35:14.123456    4321 File.java:12] msg}. */
  TEXT,
  /** One JSON object per line, for log pipelines. */
  JSON;

  /** The flag's spelling: {@code text} or {@code json}. */
  public String flagValue() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * Parses a flag value, case-insensitively.
   *
   * @throws IllegalArgumentException naming the value and the accepted ones
   */
  public static LogFormat parse(String text) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    for (LogFormat f : values()) {
      if (f.flagValue().equals(t)) {
        return f;
      }
    }
    throw new IllegalArgumentException("'" + text + "' is not a log format (use text or json)");
  }
}
