package io.jflannel.daemon.check;

import io.jflannel.daemon.flags.CommandLineOutcome;
import io.jflannel.daemon.flags.FlagParser;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Parses {@code flanneld check [flags]}: its own flags ({@code --output}, {@code --probe},
 * {@code --cni-conf}, {@code --help}) are taken out, the rest goes to the daemon's
 * {@link FlagParser} with the same environment, so the check reads exactly what the daemon
 * would. Pure; usage errors exit 2 as the daemon's do.
 */
public final class CheckCommandLine {
  private static final String NL = System.lineSeparator();

  private CheckCommandLine() {
  }

  /** Run the check with these options, or exit with a status and text. */
  public sealed interface Outcome {
  }

  /** Run the check. */
  public record Run(CheckOptions options) implements Outcome {
  }

  /** Print and exit (help: 0; usage error: 2). */
  public record Exit(int status, String stdout, String stderr) implements Outcome {
  }

  /** The usage text of the subcommand. */
  public static String usage() {
    return String.join(NL,
        "Usage: flanneld check [--output=text|json] [--probe] [--cni-conf=FILE] [flanneld flags...]",
        "Compares what flanneld would set up on this node with what is there, and changes nothing.",
        "Reads the same store and config as the daemon: pass the daemon's flags (or FLANNELD_* variables).",
        "Prints one OK/WARN/FAIL line per finding; exits 0 when nothing FAILs, 1 otherwise. Needs root.",
        "",
        "      --output=FORMAT  text (default) or json",
        "      --probe          also send one ICMP echo to each peer's overlay address (loss, RTT)",
        "      --cni-conf=FILE  the CNI config that must exist (default: " + CheckOptions.DEFAULT_CNI_CONF + ")",
        "  -h, --help           print this help and exit",
        "",
        "Every flag of 'flanneld --help' is accepted as well.", "");
  }

  /** Parses the arguments after {@code check}. Never throws. */
  public static Outcome parse(List<String> argv, Map<String, String> env) {
    boolean json = false;
    boolean probe = false;
    Path cniConf = CheckOptions.DEFAULT_CNI_CONF;
    List<String> rest = new ArrayList<>();
    for (int i = 0; i < argv.size(); i++) {
      String t = argv.get(i);
      String flag = t.startsWith("--") ? t.substring(2) : t.startsWith("-") ? t.substring(1) : null;
      if (flag == null) {
        rest.add(t);
        continue;
      }
      int eq = flag.indexOf('=');
      String name = eq < 0 ? flag : flag.substring(0, eq);
      String value = eq < 0 ? null : flag.substring(eq + 1);
      switch (name) {
        case "h", "help" -> {
          return new Exit(0, usage(), "");
        }
        case "probe" -> {
          if (value == null) {
            probe = true;
          } else if (value.equalsIgnoreCase("true") || value.equalsIgnoreCase("false")) {
            probe = Boolean.parseBoolean(value.toLowerCase(Locale.ROOT));
          } else {
            return usageError("invalid value for --probe: '" + value + "' (true or false)");
          }
        }
        case "output", "cni-conf" -> {
          if (value == null) {
            if (i + 1 >= argv.size()) {
              return usageError("--" + name + " needs a value");
            }
            value = argv.get(++i);
          }
          if (name.equals("output")) {
            if (!value.equals("text") && !value.equals("json")) {
              return usageError("invalid value for --output: '" + value + "' (text or json)");
            }
            json = value.equals("json");
          } else {
            try {
              if (value.isEmpty()) {
                return usageError("invalid value for --cni-conf: empty path");
              }
              cniConf = Path.of(value);
            } catch (InvalidPathException e) {
              return usageError("invalid value for --cni-conf: " + e.getMessage());
            }
          }
        }
        default -> rest.add(t);
      }
    }
    CommandLineOutcome daemon = FlagParser.parse(rest, env);
    if (daemon instanceof CommandLineOutcome.Exit exit) {
      if (exit.status() == 0) { // --version
        return new Exit(0, exit.stdout(), exit.stderr());
      }
      // The daemon parser's message, named for the subcommand and pointing at its help.
      String first = exit.stderr().lines().findFirst().orElse("flanneld: bad arguments");
      return usageError(first.replaceFirst("^flanneld: ", ""));
    }
    return new Run(new CheckOptions(((CommandLineOutcome.Start) daemon).options(), json, probe, cniConf));
  }

  private static Exit usageError(String message) {
    return new Exit(FlagParser.USAGE_ERROR, "", "flanneld check: " + message + NL
        + "Run 'flanneld check --help' for its flags." + NL);
  }
}
