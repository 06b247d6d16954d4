package io.jflannel.daemon.rules;

import java.util.List;

/**
 * Runs an external command (an argument list, never a shell line) with text on standard input
 * and returns its standard output. The seam that lets the rule engine run inside a test
 * namespace ({@link #inNetns}) while production runs the binaries directly ({@link #direct}).
 */
@FunctionalInterface
public interface CommandRunner {

  /**
   * Runs {@code argv} feeding {@code stdin} (may be empty) and returns standard output.
   *
   * @throws CommandException when the command cannot start, times out or exits non-zero; the
   *     exception names the command and carries its standard error
   */
  String run(List<String> argv, String stdin);

  /** Runs commands as given, in the daemon's own network namespace. */
  static CommandRunner direct() {
    return new ProcessCommandRunner(List.of());
  }

  /** Runs every command under {@code ip netns exec <namespace>}. */
  static CommandRunner inNetns(String namespace) {
    return new ProcessCommandRunner(List.of("ip", "netns", "exec", namespace));
  }
}
