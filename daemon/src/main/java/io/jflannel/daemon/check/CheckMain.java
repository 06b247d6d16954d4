package io.jflannel.daemon.check;

import ch.qos.logback.classic.Level;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code flanneld check} subcommand: parse, require root, run, print. Exit status 0 when no
 * finding FAILs, 1 when one does or the check cannot run (not root), 2 for usage
 * errors (as the daemon's flags).
 */
public final class CheckMain {
  private CheckMain() {
  }

  /** Runs the subcommand with the arguments after {@code check}; returns the exit status. */
  public static int run(List<String> args, Map<String, String> env, PrintStream stdout, PrintStream stderr) {
    CheckCommandLine.Outcome outcome = CheckCommandLine.parse(args, env);
    if (outcome instanceof CheckCommandLine.Exit exit) {
      stdout.print(exit.stdout());
      stderr.print(exit.stderr());
      return exit.status();
    }
    CheckOptions options = ((CheckCommandLine.Run) outcome).options();
    quietLogs(options.flags().verbosity());
    if (!root()) {
      stderr.println("flanneld check: must run as root (it reads this node's iptables rules and kernel state)");
      return 1;
    }
    Report report = new Report(NodeCheck.system(options, env).run());
    stdout.print(options.json() ? report.json() : report.text());
    stdout.flush();
    return report.status();
  }

  /**
   * The report is the output; the store clients' and the backends' log lines would only
   * interleave with it. They stay available with {@code -v}.
   */
  private static void quietLogs(int verbosity) {
    Logger root = LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME);
    if (root instanceof ch.qos.logback.classic.Logger l) {
      l.setLevel(verbosity > 0 ? Level.DEBUG : Level.OFF);
    }
    if (LoggerFactory.getLogger("io.jflannel") instanceof ch.qos.logback.classic.Logger l) {
      l.setLevel(verbosity > 0 ? Level.DEBUG : Level.OFF);
    }
  }

  /** Whether the effective user is root, from {@code /proc/self/status} (no native call needed). */
  static boolean root() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("Uid:")) {
          String[] ids = line.substring(4).trim().split("\\s+");
          return ids.length > 1 && ids[1].equals("0");
        }
      }
    } catch (IOException e) {
      return false;
    }
    return false;
  }
}
