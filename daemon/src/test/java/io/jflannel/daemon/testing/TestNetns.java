package io.jflannel.daemon.testing;

import io.jflannel.daemon.rules.CommandRunner;
import io.jflannel.daemon.rules.ProcessCommandRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * A throw-away network namespace {@code jfl-dm-<random>} for kernel tests; deleted on close.
 * Prerequisites (root, tools) are checked first: missing ones skip the test, or fail it when
 * {@code CI=true}, so CI can never pass by skipping.
 */
public final class TestNetns implements AutoCloseable {
  private static final CommandRunner HOST = new ProcessCommandRunner(List.of());

  private final String name;
  private final CommandRunner runner;

  private TestNetns(String name) {
    this.name = name;
    this.runner = CommandRunner.inNetns(name);
  }

  /** Checks root and {@code tools}, then creates the namespace. */
  public static TestNetns create(String... tools) {
    return createWithPrefix("jfl-dm-", tools);
  }

  /** Like {@link #create}, naming the namespace {@code prefix} plus a random suffix. */
  public static TestNetns createWithPrefix(String prefix, String... tools) {
    require("root", "root".equals(System.getProperty("user.name")));
    require("ip", onPath("ip"));
    for (String tool : tools) {
      require(tool, onPath(tool));
    }
    String name = prefix + UUID.randomUUID().toString().substring(0, 8);
    HOST.run(List.of("ip", "netns", "add", name), "");
    return new TestNetns(name);
  }

  private static void require(String what, boolean present) {
    String message = "kernel test needs " + what;
    if ("true".equals(System.getenv("CI"))) {
      Assertions.assertTrue(present, message);
    } else {
      Assumptions.assumeTrue(present, message);
    }
  }

  private static boolean onPath(String tool) {
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .split(":")) {
      if (Files.isExecutable(Path.of(dir, tool))) {
        return true;
      }
    }
    return false;
  }

  /** The namespace's name. */
  public String name() {
    return name;
  }

  /** Runs commands inside the namespace. */
  public CommandRunner runner() {
    return runner;
  }

  /** Runs one command inside the namespace and returns its stdout. */
  public String run(String... argv) {
    return runner.run(List.of(argv), "");
  }

  /** Runs one command inside the namespace with {@code stdin}. */
  public String runWithInput(String stdin, String... argv) {
    return runner.run(List.of(argv), stdin);
  }

  @Override
  public void close() {
    HOST.run(List.of("ip", "netns", "del", name), "");
  }
}
