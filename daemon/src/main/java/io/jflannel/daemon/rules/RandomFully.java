package io.jflannel.daemon.rules;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Whether masquerade may use {@code --random-fully}: iptables 1.6.2 or newer and a kernel of
 * 3.13 or newer (where the NAT fully-random flag appeared). Detected once at start-up.
 */
public final class RandomFully {
  private static final Pattern VERSION = Pattern.compile("v?(\\d+)\\.(\\d+)(?:\\.(\\d+))?");

  private RandomFully() {}

  /** Asks {@code iptables --version} through {@code runner} and checks {@code kernelRelease}. */
  public static boolean supported(CommandRunner runner, String kernelRelease) {
    return supported(runner, "iptables", kernelRelease);
  }

  /**
   * Asks {@code <iptables> --version} (the flavour that programs the rules, e.g.
   * {@code iptables-legacy}) through {@code runner} and checks {@code kernelRelease}.
   */
  public static boolean supported(CommandRunner runner, String iptables, String kernelRelease) {
    String out = runner.run(List.of(iptables, "--version"), "");
    return atLeast(out, 1, 6, 2) && atLeast(kernelRelease, 3, 13, 0);
  }

  /** The running kernel's release, as the JVM reports it (e.g. {@code 6.1.0-18-amd64}). */
  public static String kernelRelease() {
    return System.getProperty("os.version", "");
  }

  /** True when the first version number in {@code text} is at least major.minor.patch. */
  static boolean atLeast(String text, int major, int minor, int patch) {
    Matcher m = VERSION.matcher(text);
    if (!m.find()) {
      return false;
    }
    int[] have = {
      Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
      m.group(3) == null ? 0 : Integer.parseInt(m.group(3))
    };
    int[] want = {major, minor, patch};
    for (int i = 0; i < 3; i++) {
      if (have[i] != want[i]) {
        return have[i] > want[i];
      }
    }
    return true;
  }
}
