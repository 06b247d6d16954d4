package io.jflannel.daemon.rules;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Looks commands up on {@code PATH} the way the process launcher will, so a missing tool is
 * reported by name before anything runs it.
 */
public final class Executables {
  /** The search path used when {@code PATH} is unset (what a login shell would give root). */
  static final String DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

  private Executables() {}

  /** The {@code PATH} of {@code env}, or the default when unset or empty. */
  public static String path(Map<String, String> env) {
    String p = env.get("PATH");
    return p == null || p.isEmpty() ? DEFAULT_PATH : p;
  }

  /** A lookup of command names in the directories of {@code path}. */
  public static Predicate<String> onPath(String path) {
    return command -> {
      for (String dir : path.split(":")) {
        if (dir.isEmpty()) {
          continue;
        }
        try {
          if (Files.isExecutable(Path.of(dir, command)) && !Files.isDirectory(Path.of(dir, command))) {
            return true;
          }
        } catch (InvalidPathException e) {
          // an unusable PATH entry holds nothing
        }
      }
      return false;
    };
  }
}
