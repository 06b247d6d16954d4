package io.jflannel.backend.extension;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * How upstream flannel (v0.28.2 and later) turns a configured command into a program and its
 * arguments, without a shell: the text is split on white space as Go's {@code strings.Fields}
 * splits it, then {@code $NAME} and {@code ${NAME}} in every word are replaced as Go's
 * {@code os.Expand} replaces them, from the daemon's environment and the command's variables.
 * Quotes, pipes, {@code ;} and {@code &&} are ordinary characters; a value with spaces stays
 * one argument. Pure.
 */
final class CommandLine {
  private CommandLine() {
  }

  /**
   * The program and its arguments.
   *
   * @param vars the variables a word may name (daemon environment overlaid with the command's)
   * @throws IllegalArgumentException when the command has no word at all
   */
  static List<String> argv(String command, Map<String, String> vars) {
    List<String> words = fields(command);
    if (words.isEmpty()) {
      throw new IllegalArgumentException("command \"" + command + "\" has no program name");
    }
    List<String> out = new ArrayList<>(words.size());
    for (String w : words) {
      out.add(expand(w, vars));
    }
    return out;
  }

  /** The words of {@code s} between runs of white space ({@link #isSpace}). */
  static List<String> fields(String s) {
    List<String> out = new ArrayList<>();
    int start = -1;
    for (int i = 0; i < s.length(); ) {
      int cp = s.codePointAt(i);
      if (isSpace(cp)) {
        if (start >= 0) {
          out.add(s.substring(start, i));
          start = -1;
        }
      } else if (start < 0) {
        start = i;
      }
      i += Character.charCount(cp);
    }
    if (start >= 0) {
      out.add(s.substring(start));
    }
    return out;
  }

  /**
   * Go's {@code unicode.IsSpace}: tab, newline, vertical tab, form feed, carriage return,
   * space, U+0085, U+00A0 and the Unicode space separators (Java's own test differs: it leaves
   * out the no-break spaces and takes in U+001C..U+001F).
   */
  static boolean isSpace(int cp) {
    if (cp < 0x80) {
      return cp == ' ' || (cp >= '\t' && cp <= '\r');
    }
    return cp == 0x85 || cp == 0xA0 || cp == 0x2028 || cp == 0x2029
        || Character.getType(cp) == Character.SPACE_SEPARATOR;
  }

  /** Trims {@link #isSpace} from both ends, as Go's {@code strings.TrimSpace}. */
  static String trim(String s) {
    int b = 0;
    int e = s.length();
    while (b < e && isSpace(s.codePointAt(b))) {
      b += Character.charCount(s.codePointAt(b));
    }
    while (e > b && isSpace(s.codePointBefore(e))) {
      e -= Character.charCount(s.codePointBefore(e));
    }
    return s.substring(b, e);
  }

  /**
   * Go's {@code os.Expand}: {@code $NAME} (letters, digits, underscore), {@code ${NAME}}, and
   * the one-character shell names ({@code $1}, {@code $?}, ...) become the variable's value, an
   * unknown name the empty string; {@code ${}} and an unclosed {@code ${} are dropped; a
   * {@code $} before anything else, or at the end, stays.
   */
  static String expand(String s, Map<String, String> vars) {
    StringBuilder out = new StringBuilder(s.length());
    int i = 0;
    for (int j = 0; j < s.length(); j++) {
      if (s.charAt(j) == '$' && j + 1 < s.length()) {
        out.append(s, i, j);
        String rest = s.substring(j + 1);
        int width;
        String name;
        if (rest.charAt(0) == '{') {
          if (rest.length() > 2 && isShellSpecial(rest.charAt(1)) && rest.charAt(2) == '}') {
            name = rest.substring(1, 2);
            width = 3;
          } else {
            int close = rest.indexOf('}', 1);
            if (close == 1) {
              name = "";
              width = 2; // "${}": bad syntax, eaten
            } else if (close < 0) {
              name = "";
              width = 1; // "${" unclosed: eaten
            } else {
              name = rest.substring(1, close);
              width = close + 1;
            }
          }
        } else if (isShellSpecial(rest.charAt(0))) {
          name = rest.substring(0, 1);
          width = 1;
        } else {
          int k = 0;
          while (k < rest.length() && isAlphaNum(rest.charAt(k))) {
            k++;
          }
          name = rest.substring(0, k);
          width = k;
        }
        if (name.isEmpty() && width == 0) {
          out.append('$'); // a '$' followed by no name: kept
        } else if (!name.isEmpty()) {
          out.append(vars.getOrDefault(name, ""));
        }
        j += width;
        i = j + 1;
      }
    }
    out.append(s, Math.min(i, s.length()), s.length());
    return out.toString();
  }

  private static boolean isShellSpecial(char c) {
    return switch (c) {
      case '*', '#', '$', '@', '!', '?', '-' -> true;
      default -> c >= '0' && c <= '9';
    };
  }

  private static boolean isAlphaNum(char c) {
    return c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  }
}
