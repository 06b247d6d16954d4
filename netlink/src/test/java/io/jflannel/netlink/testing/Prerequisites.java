package io.jflannel.netlink.testing;

import java.io.File;
import org.junit.jupiter.api.Assumptions;

/**
 * Checks a test's environment. Normally a missing prerequisite skips the test (JUnit
 * assumption); with {@code CI=true} in the environment it fails it, so CI never passes by
 * silently skipping.
 */
public final class Prerequisites {
  private Prerequisites() {
  }

  /** Whether this run is CI (env CI=true): missing prerequisites fail instead of skip. */
  public static boolean isCi() {
    return "true".equalsIgnoreCase(System.getenv("CI"));
  }

  /** Requires uid 0 (network namespaces, netlink writes). */
  public static void requireRoot() {
    require(isRoot(), "this test needs root (uid 0) to create network namespaces; run it as root, e.g. scripts/test.sh in a root shell");
  }

  /** Requires an executable on PATH (or /sbin, /usr/sbin). */
  public static void requireCommand(String command) {
    require(findCommand(command) != null, "this test needs the command '" + command
        + "' on PATH; install it (scripts/install-deps.sh)");
  }

  /** Skips (or fails under CI) with {@code message} unless {@code condition} holds. */
  public static void require(boolean condition, String message) {
    if (condition) {
      return;
    }
    if (isCi()) {
      throw new AssertionError("missing prerequisite (CI=true, so this fails instead of skipping): " + message);
    }
    Assumptions.assumeTrue(false, message);
  }

  static boolean isRoot() {
    try {
      Object uid = java.nio.file.Files.getAttribute(java.nio.file.Path.of("/proc/self"), "unix:uid");
      return Integer.valueOf(0).equals(uid);
    } catch (Exception e) {
      return "root".equals(System.getProperty("user.name"));
    }
  }

  /** Full path of a command, or null. */
  public static String findCommand(String command) {
    String path = System.getenv().getOrDefault("PATH", "") + File.pathSeparator + "/usr/sbin:/sbin:/usr/bin:/bin";
    for (String dir : path.split(File.pathSeparator)) {
      if (dir.isEmpty()) {
        continue;
      }
      File f = new File(dir, command);
      if (f.isFile() && f.canExecute()) {
        return f.getPath();
      }
    }
    return null;
  }
}
