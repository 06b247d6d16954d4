package io.jflannel.deploy;

import java.util.LinkedHashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The metric names a PromQL expression (or a Grafana query over PromQL) reads. Not a parser:
 * it blanks out what cannot name a metric (strings, label matchers, ranges, grouping label
 * lists, Grafana variables, numbers) and keeps the identifiers that are not functions or
 * keywords. Enough for the expressions of our dashboard and alerts, and tested on them.
 */
final class PromQlNames {
  private static final Pattern STRING = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'|`[^`]*`");
  private static final Pattern MATCHERS = Pattern.compile("\\{[^}]*}");
  private static final Pattern RANGE = Pattern.compile("\\[[^]]*]");
  private static final Pattern GROUPING = Pattern.compile(
      "\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
  private static final Pattern VARIABLE = Pattern.compile("\\$\\{?\\w+}?");
  private static final Pattern LABEL_VALUES = Pattern.compile("^\\s*label_values\\(([^,)]*)(?:,[^)]*)?\\)\\s*$");
  private static final Pattern IDENT = Pattern.compile("[A-Za-z_:][A-Za-z0-9_:]*(\\s*\\()?");
  private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "bool", "offset", "by",
      "without", "on", "ignoring", "group_left", "group_right", "inf", "nan", "atan2");

  private PromQlNames() {}

  /** The metric names {@code expr} reads, in order of appearance. */
  static Set<String> of(String expr) {
    Matcher lv = LABEL_VALUES.matcher(expr);
    String e = lv.matches() ? lv.group(1) : expr;
    e = STRING.matcher(e).replaceAll(" ");
    e = MATCHERS.matcher(e).replaceAll(" ");
    e = RANGE.matcher(e).replaceAll(" ");
    e = GROUPING.matcher(e).replaceAll(" ");
    e = VARIABLE.matcher(e).replaceAll(" ");
    Set<String> names = new LinkedHashSet<>();
    Matcher m = IDENT.matcher(e);
    while (m.find()) {
      boolean call = m.group(1) != null;
      String word = m.group().replaceAll("\\s*\\($", "");
      boolean partOfNumber = m.start() > 0 && Character.isDigit(e.charAt(m.start() - 1));
      if (!call && !partOfNumber && !KEYWORDS.contains(word.toLowerCase(java.util.Locale.ROOT))) {
        names.add(word);
      }
    }
    return names;
  }
}
