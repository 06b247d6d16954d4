package io.jflannel.daemon.flags;

import io.jflannel.daemon.Version;
import io.jflannel.subnet.IpLiteral;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.PatternSyntaxException;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;

/**
 * Turns {@code flanneld}'s argv and environment into {@link FlanneldOptions}, or into an
 * exit (help, version, usage error). Pure: no I/O, no global state; the environment is a map
 * so tests control it.
 *
 * <p>Flag forms accepted: {@code --name=value}, {@code --name value}, {@code -name=value},
 * {@code -name value}; booleans also bare or {@code =true/false}. A flag missing from argv
 * takes {@code FLANNELD_<NAME>} from the environment, then its default.
 */
public final class FlagParser {
  /** Exit status for a usage error, as Go's flag package uses. */
  public static final int USAGE_ERROR = 2;

  /** Flags that have no {@code FLANNELD_*} environment form. */
  private static final Set<String> NO_ENV = Set.of("--version", "--help");

  private FlagParser() {}

  /** What {@code --version} prints: {@code v} and the version, e.g. {@code v0.1.0}. */
  public static String versionLine() {
    return "v" + Version.current() + System.lineSeparator();
  }

  /** Parses {@code argv} with {@code env} as the process environment. Never throws. */

  public static CommandLineOutcome parse(List<String> argv, Map<String, String> env) {
    return parse(argv, env, null);
  }

  /**
   * Parses the command line of a {@code flanneld} subcommand: the daemon's flags and
   * environment, plus the subcommand's own flags, declared with picocli {@code @Option}s on
   * {@code ownFlags} (filled in by the parse; command line only, no {@code FLANNELD_*} form)
   * and named by its {@code @Command(name = "flanneld NAME", description = ...)}. Usage errors
   * are then one line naming the subcommand. With {@code ownFlags} null this is
   * {@link #parse(List, Map)}.
   */
  public static CommandLineOutcome parse(List<String> argv, Map<String, String> env, Object ownFlags) {
    FlanneldCommand command = new FlanneldCommand();
    CommandLine cli = new CommandLine(command);
    Set<String> ownNames = Set.of();
    String name = "flanneld";
    if (ownFlags != null) {
      CommandSpec own = CommandSpec.forAnnotatedObject(ownFlags);
      ownNames = own.options().stream().map(OptionSpec::longestName).collect(java.util.stream.Collectors.toSet());
      cli.addMixin("own", own);
      name = own.name();
      cli.getCommandSpec().name(name);
      cli.getCommandSpec().usageMessage().description(own.usageMessage().description());
    }
    Set<String> noEnv = ownNames;
    cli.setDefaultValueProvider(arg -> arg instanceof OptionSpec o && noEnv.contains(o.longestName())
        ? null : envValue(arg, env).orElse(null));
    cli.setOverwrittenOptionsAllowed(true);
    cli.setUnmatchedOptionsArePositionalParams(false);
    List<String> normalized = normalize(argv, cli.getCommandSpec());
    try {
      cli.parseArgs(normalized.toArray(String[]::new));
      if (cli.isUsageHelpRequested()) {
        return new CommandLineOutcome.Exit(0, cli.getUsageMessage(), "");
      }
      if (cli.isVersionHelpRequested()) {
        // As upstream: the tag-style version (vX.Y.Z) on stderr.
        return new CommandLineOutcome.Exit(0, "", versionLine());
      }
      return new CommandLineOutcome.Start(toOptions(command, env, normalized));
    } catch (ParameterException e) {
      String message = e.getMessage();
      ArgSpec arg = e.getArgSpec();
      if (arg instanceof OptionSpec o && !onCommandLine(o, normalized)) {
        Optional<String> envName = envName(o);
        if (envName.isPresent() && env.containsKey(envName.get())) {
          message += " (from environment " + envName.get() + ")";
        }
      }
      return usageError(name, message);
    } catch (UsageException e) {
      return usageError(name, e.getMessage());
    }
  }

  /** The environment variable that backs a long flag name, e.g. {@code FLANNELD_IP_MASQ}. */
  public static String envNameOf(String longFlag) {
    String bare = longFlag.replaceFirst("^-+", "");
    return "FLANNELD_" + bare.toUpperCase(Locale.ROOT).replace('-', '_');
  }

  /**
   * Rewrites single-dash long flags ({@code -ip-masq}, {@code -iface=eth0}) into picocli's
   * double-dash form. Values of flags that take one are skipped, so a value that happens to
   * start with a dash is left alone.
   */
  static List<String> normalize(List<String> argv, CommandSpec spec) {
    List<String> out = new ArrayList<>(argv.size());
    boolean valueNext = false;
    boolean endOfOptions = false;
    for (String token : argv) {
      if (valueNext || endOfOptions) {
        out.add(token);
        valueNext = false;
        continue;
      }
      if (token.equals("--")) {
        out.add(token);
        endOfOptions = true;
        continue;
      }
      String t = token;
      if (t.length() > 2 && t.charAt(0) == '-' && t.charAt(1) != '-') {
        t = "-" + t;
      }
      int eq = t.indexOf('=');
      String name = eq < 0 ? t : t.substring(0, eq);
      OptionSpec option = spec.findOption(name);
      if (option != null && eq < 0 && takesSeparateValue(option)) {
        valueNext = true;
      }
      out.add(t);
    }
    return out;
  }

  private static boolean takesSeparateValue(OptionSpec option) {
    // Booleans (arity 0..1) consume a following true/false themselves; everything else
    // with a value consumes the next token.
    return option.arity().min() > 0;
  }

  private static Optional<String> envName(ArgSpec arg) {
    if (!(arg instanceof OptionSpec o) || NO_ENV.contains(o.longestName())) {
      return Optional.empty();
    }
    return Optional.of(envNameOf(o.longestName()));
  }

  private static Optional<String> envValue(ArgSpec arg, Map<String, String> env) {
    // An empty variable counts as unset: a blank FLANNELD_NET_CONFIG_PATH must not wipe
    // the default path.
    return envName(arg).map(env::get).filter(v -> !v.isEmpty());
  }

  private static boolean onCommandLine(OptionSpec option, List<String> normalized) {
    for (String token : normalized) {
      if (token.equals("--")) {
        return false;
      }
      for (String name : option.names()) {
        if (token.equals(name) || token.startsWith(name + "=")) {
          return true;
        }
      }
    }
    return false;
  }

  private static CommandLineOutcome usageError(String command, String message) {
    if (!command.equals("flanneld")) {
      // A subcommand's usage error is one line (the daemon keeps upstream's two).
      return new CommandLineOutcome.Exit(USAGE_ERROR, "",
          command + ": " + message + " ('" + command + " --help' lists the flags)" + System.lineSeparator());
    }
    return new CommandLineOutcome.Exit(
        USAGE_ERROR, "",
        "flanneld: " + message + System.lineSeparator()
            + "Run 'flanneld --help' for the list of flags." + System.lineSeparator());
  }

  private static FlanneldOptions toOptions(
      FlanneldCommand c, Map<String, String> env, List<String> argv) {
    Source src = new Source(env, argv);
    FlanneldOptions.Kube kube = new FlanneldOptions.Kube(
        c.kubeSubnetMgr, c.kubeApiUrl, c.kubeconfigFile, c.kubeAnnotationPrefix,
        path("--net-config-path", c.netConfigPath, src), c.setNodeNetworkUnavailable);
    List<String> endpoints = Arrays.stream(c.etcdEndpoints.split(","))
        .map(String::trim).filter(s -> !s.isEmpty()).toList();
    if (endpoints.isEmpty()) {
      throw new UsageException("invalid value for " + src.describe("--etcd-endpoints")
          + ": at least one endpoint is required");
    }
    // TLS needs both halves; one alone would silently fall back to plain text.
    if (c.etcdKeyfile.isEmpty() != c.etcdCertfile.isEmpty()) {
      String given = c.etcdKeyfile.isEmpty() ? "--etcd-certfile" : "--etcd-keyfile";
      String missing = c.etcdKeyfile.isEmpty() ? "--etcd-keyfile" : "--etcd-certfile";
      throw new UsageException("invalid value for " + src.describe(given) + ": " + missing
          + " is required with it (etcd TLS needs a client key and certificate)");
    }
    FlanneldOptions.Etcd etcd = new FlanneldOptions.Etcd(
        endpoints, c.etcdPrefix, c.etcdKeyfile, c.etcdCertfile, c.etcdCafile,
        c.etcdUsername, c.etcdPassword);
    for (String regex : c.ifaceRegex) {
      try {
        java.util.regex.Pattern.compile(regex);
      } catch (PatternSyntaxException e) {
        throw new UsageException("invalid value for " + src.describe("--iface-regex") + ": '"
            + regex + "' is not a valid regular expression: " + e.getDescription());
      }
    }
    for (String name : c.iface) {
      if (name.isBlank()) {
        throw new UsageException("invalid value for " + src.describe("--iface")
            + ": empty interface name");
      }
    }
    FlanneldOptions.Iface iface = new FlanneldOptions.Iface(
        c.iface, c.ifaceRegex,
        optionalIp("--iface-can-reach", c.ifaceCanReach, IpLiteral::parse, src),
        optionalIp("--public-ip", c.publicIp, IpLiteral::parseV4, src),
        optionalIp("--public-ipv6", c.publicIpv6, IpLiteral::parseV6, src));
    range("--iptables-resync", c.iptablesResync, 1, Integer.MAX_VALUE, src);
    IptablesMode iptablesMode;
    try {
      iptablesMode = IptablesMode.parse(c.iptablesMode);
    } catch (IllegalArgumentException e) {
      throw new UsageException("invalid value for " + src.describe("--iptables-mode") + ": "
          + e.getMessage());
    }
    FlanneldOptions.Rules rules = new FlanneldOptions.Rules(
        c.ipMasq, c.ipMasqFullyRandomDisable, Duration.ofSeconds(c.iptablesResync),
        c.iptablesForwardRules, iptablesMode);
    range("--healthz-port", c.healthzPort, 0, 65535, src);
    InetAddress healthIp = ip("--healthz-ip", c.healthzIp, IpLiteral::parse, src);
    FlanneldOptions.Health health = new FlanneldOptions.Health(healthIp, c.healthzPort);
    range("--subnet-lease-renew-margin", c.subnetLeaseRenewMargin, 1, 1439, src);
    range("-v", c.verbosity, 0, Integer.MAX_VALUE, src);
    LogFormat logFormat;
    try {
      logFormat = LogFormat.parse(c.logFormat);
    } catch (IllegalArgumentException e) {
      throw new UsageException("invalid value for " + src.describe("--log-format") + ": " + e.getMessage());
    }
    return new FlanneldOptions(
        kube, etcd, iface, rules, health, path("--subnet-file", c.subnetFile, src),
        Duration.ofMinutes(c.subnetLeaseRenewMargin), c.ipBlackholeRoute, c.verbosity,
        environment(env), ignoredLogFlags(c), logFormat);
  }

  /** The klog flags that were given (command line or environment) but have no effect. */
  private static Map<String, String> ignoredLogFlags(FlanneldCommand c) {
    Map<String, String> m = new java.util.LinkedHashMap<>();
    if (!c.vmodule.isEmpty()) {
      m.put("-vmodule", c.vmodule);
    }
    if (!c.logBacktraceAt.isEmpty()) {
      m.put("-log_backtrace_at", c.logBacktraceAt);
    }
    return m;
  }

  /** Reads the non-flag variables: NODE_NAME, POD_NAME, POD_NAMESPACE, ... */
  static FlanneldOptions.Environment environment(Map<String, String> env) {
    int depth = 5000;
    String rawDepth = env.get("EVENT_QUEUE_DEPTH");
    if (rawDepth != null && !rawDepth.isEmpty()) {
      try {
        depth = Integer.parseInt(rawDepth.trim());
      } catch (NumberFormatException e) {
        throw new UsageException("invalid value for environment EVENT_QUEUE_DEPTH: '"
            + rawDepth + "' is not an integer");
      }
      if (depth < 1) {
        throw new UsageException("invalid value for environment EVENT_QUEUE_DEPTH: "
            + depth + " must be at least 1");
      }
    }
    boolean cont = false;
    String rawCont = env.get("CONT_WHEN_CACHE_NOT_READY");
    if (rawCont != null && !rawCont.isEmpty()) {
      try {
        cont = GoBool.parse(rawCont.trim());
      } catch (RuntimeException e) {
        throw new UsageException("invalid value for environment CONT_WHEN_CACHE_NOT_READY: "
            + e.getMessage());
      }
    }
    return new FlanneldOptions.Environment(
        nonEmpty(env.get("NODE_NAME")), nonEmpty(env.get("POD_NAME")),
        nonEmpty(env.get("POD_NAMESPACE")), depth, cont);
  }

  private static Optional<String> nonEmpty(String s) {
    return s == null || s.isEmpty() ? Optional.empty() : Optional.of(s);
  }

  private static void range(String flag, int value, int min, int max, Source src) {
    if (value < min || value > max) {
      String bounds = max == Integer.MAX_VALUE ? "at least " + min : min + ".." + max;
      throw new UsageException("invalid value for " + src.describe(flag) + ": " + value
          + " is out of range (" + bounds + ")");
    }
  }

  private static Path path(String flag, String value, Source src) {
    if (value.isEmpty()) {
      throw new UsageException("invalid value for " + src.describe(flag) + ": empty path");
    }
    try {
      return Path.of(value);
    } catch (InvalidPathException e) {
      throw new UsageException("invalid value for " + src.describe(flag) + ": " + e.getMessage());
    }
  }

  private static InetAddress ip(
      String flag, String value, Function<String, ? extends InetAddress> parser, Source src) {
    try {
      return parser.apply(value.trim());
    } catch (IllegalArgumentException e) {
      throw new UsageException("invalid value for " + src.describe(flag) + ": " + e.getMessage());
    }
  }

  private static Optional<InetAddress> optionalIp(
      String flag, String value, Function<String, ? extends InetAddress> parser, Source src) {
    return value.isEmpty() ? Optional.empty() : Optional.of(ip(flag, value, parser, src));
  }

  /** Tells whether a flag's value came from argv or from the environment, for messages. */
  private record Source(Map<String, String> env, List<String> argv) {
    String describe(String flag) {
      boolean onArgv = argv.stream().anyMatch(t -> t.equals(flag) || t.startsWith(flag + "="));
      String var = envNameOf(flag);
      if (!onArgv && env.containsKey(var) && !env.get(var).isEmpty()) {
        return flag + " (from environment " + var + ")";
      }
      return flag;
    }
  }

  /** Renders the usage text, for callers that print help outside of {@link #parse}. */
  public static String usage() {
    StringWriter w = new StringWriter();
    new CommandLine(new FlanneldCommand()).usage(new PrintWriter(w));
    return w.toString();
  }
}
