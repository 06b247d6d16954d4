package io.jflannel.daemon;

import io.jflannel.daemon.flags.CommandLineOutcome;
import io.jflannel.daemon.flags.FlagParser;
import java.util.Arrays;

/**
 * The {@code flanneld} entry point: parses flags and environment, then runs the daemon.
 * Kept small on purpose; everything it does lives in a testable class.
 */
public final class Flanneld {
  private Flanneld() {}

  /** Process entry point. */
  public static void main(String[] args) {
    CommandLineOutcome outcome = FlagParser.parse(Arrays.asList(args), System.getenv());
    if (outcome instanceof CommandLineOutcome.Exit exit) {
      System.out.print(exit.stdout());
      System.err.print(exit.stderr());
      System.out.flush();
      System.exit(exit.status());
    }
    CommandLineOutcome.Start start = (CommandLineOutcome.Start) outcome;
    // The start-up sequence (interface, subnet manager, backend, rules, subnet.env) is wired
    // by a later change; until then say so plainly instead of pretending to run.
    System.err.println("flanneld: options parsed (" + describe(start) + "); "
        + "start-up sequence not wired yet");
    System.exit(1);
  }

  private static String describe(CommandLineOutcome.Start start) {
    return start.options().kube().enabled() ? "kube subnet manager" : "etcd subnet manager";
  }
}
