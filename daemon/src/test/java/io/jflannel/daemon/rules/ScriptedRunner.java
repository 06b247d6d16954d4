package io.jflannel.daemon.rules;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A {@link CommandRunner} that answers from a script: the output per command line, or a failure
 * for lines marked as failing. Unscripted commands fail the test; every call is recorded.
 */
final class ScriptedRunner implements CommandRunner {
  private final Map<String, String> outputs = new HashMap<>();
  private final Map<String, Integer> failures = new HashMap<>();
  final List<String> calls = new ArrayList<>();

  /** {@code command} (argv joined by spaces) prints {@code output}. */
  ScriptedRunner answer(String command, String output) {
    outputs.put(command, output);
    return this;
  }

  /** {@code command} exits with {@code status}. */
  ScriptedRunner fail(String command, int status) {
    failures.put(command, status);
    return this;
  }

  @Override
  public String run(List<String> argv, String stdin) {
    String line = String.join(" ", argv);
    calls.add(line);
    if (failures.containsKey(line)) {
      throw new CommandException(argv, failures.get(line), "scripted failure", null);
    }
    String out = outputs.get(line);
    if (out == null) {
      throw new AssertionError("unscripted command: " + line);
    }
    return out;
  }
}
