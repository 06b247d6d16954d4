package io.jflannel.daemon.check;

import java.util.Objects;

/**
 * One line of {@code flanneld check}'s report.
 *
 * @param level   OK, WARN or FAIL
 * @param subject what was looked at, e.g. {@code route 10.244.2.0/24}
 * @param detail  what was found
 * @param see     the command an operator runs to see it (empty for OK)
 * @param hint    what to do about it, one line (empty for OK)
 */
public record Finding(Level level, String subject, String detail, String see, String hint) {

  /** How bad a finding is. */
  public enum Level {
    OK, WARN, FAIL
  }

  public Finding {
    Objects.requireNonNull(level, "level");
    Objects.requireNonNull(subject, "subject");
    Objects.requireNonNull(detail, "detail");
    see = see == null ? "" : see;
    hint = hint == null ? "" : hint;
  }

  static Finding ok(String subject, String detail) {
    return new Finding(Level.OK, subject, detail, "", "");
  }

  static Finding warn(String subject, String detail, String see, String hint) {
    return new Finding(Level.WARN, subject, detail, see, hint);
  }

  static Finding fail(String subject, String detail, String see, String hint) {
    return new Finding(Level.FAIL, subject, detail, see, hint);
  }

  /** The report line: level, subject and detail, then for WARN and FAIL the command and the hint. */
  public String line() {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format("%-4s %s: %s", level, subject, detail));
    if (!see.isEmpty()) {
      sb.append(" | see: ").append(see);
    }
    if (!hint.isEmpty()) {
      sb.append(" | hint: ").append(hint);
    }
    return sb.toString();
  }
}
