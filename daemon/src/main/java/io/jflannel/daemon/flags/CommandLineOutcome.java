package io.jflannel.daemon.flags;

import java.util.Objects;

/** What the command line asks for: start the daemon, or print something and exit. */
public sealed interface CommandLineOutcome {

  /** Start the daemon with these options. */
  record Start(FlanneldOptions options) implements CommandLineOutcome {
    public Start {
      Objects.requireNonNull(options, "options");
    }
  }

  /**
   * Exit without starting: {@code --help}, {@code --version} (status 0) or a usage error
   * (status 2).
   *
   * @param status process exit status
   * @param stdout text for standard output (may be empty)
   * @param stderr text for standard error (may be empty)
   */
  record Exit(int status, String stdout, String stderr) implements CommandLineOutcome {
    public Exit {
      Objects.requireNonNull(stdout, "stdout");
      Objects.requireNonNull(stderr, "stderr");
    }
  }
}
