package io.jflannel.backend.lab;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * Kernel-test prerequisites: root and the iproute2/ping commands. Missing ones skip the
 * test, except under {@code CI=true} where they fail it (a CI run must not pass silently).
 */
public final class Prereq {
  private Prereq() {
  }

  public static void requireRootAndCommands(String... commands) {
    StringBuilder missing = new StringBuilder();
    if (!"root".equals(System.getProperty("user.name"))) {
      missing.append("not running as root; ");
    }
    for (String c : commands) {
      if (!Files.isExecutable(Path.of("/usr/sbin", c)) && !Files.isExecutable(Path.of("/usr/bin", c))
          && !Files.isExecutable(Path.of("/sbin", c)) && !Files.isExecutable(Path.of("/bin", c))) {
        missing.append("command ").append(c).append(" not found; ");
      }
    }
    if (missing.length() == 0) {
      return;
    }
    if ("true".equalsIgnoreCase(System.getenv("CI"))) {
      throw new AssertionError("kernel test prerequisites missing under CI=true: " + missing);
    }
    Assumptions.assumeTrue(false, "skipped, prerequisites missing: " + missing);
  }
}
