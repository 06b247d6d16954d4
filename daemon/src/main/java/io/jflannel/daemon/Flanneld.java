package io.jflannel.daemon;

import ch.qos.logback.classic.Level;
import io.jflannel.daemon.check.CheckMain;
import io.jflannel.daemon.cleanup.Cleanup;
import io.jflannel.daemon.flags.CommandLineOutcome;
import io.jflannel.daemon.flags.FlagParser;
import io.jflannel.daemon.flags.FlanneldOptions;
import io.jflannel.daemon.run.Daemon;
import io.jflannel.daemon.run.FatalException;
import io.jflannel.daemon.runtime.ClassPathStore;
import java.util.Arrays;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * The {@code flanneld} entry point: parses flags and environment, then runs the daemon.
 * Kept small on purpose; everything it does lives in a testable class.
 *
 * <p>{@code flanneld check} is the read-only node check ({@link CheckMain}).
 *
 * <p>Exit status: 0 after SIGTERM/SIGINT or when the own lease was deleted, 1 for a fatal
 * start-up error (one line on stderr), 2 for bad flags. {@code flanneld cleanup ...} runs
 * {@link Cleanup} instead of the daemon.
 */
public final class Flanneld {
  private Flanneld() {}

  /** Process entry point. */
  public static void main(String[] args) {
    if (args.length > 0 && args[0].equals("cleanup")) {
      System.exit(Cleanup.run(Arrays.asList(args).subList(1, args.length), System.getenv(), System.out, System.err,
          kube -> ClassPathStore.mismatch(System.getProperty(ClassPathStore.PROPERTY), kube)));
    }
    if (args.length > 0 && args[0].equals("check")) {
      System.exit(CheckMain.run(Arrays.asList(args).subList(1, args.length), System.getenv(), System.out, System.err));
    }
    CommandLineOutcome outcome = FlagParser.parse(Arrays.asList(args), System.getenv());
    if (outcome instanceof CommandLineOutcome.Exit exit) {
      System.out.print(exit.stdout());
      System.err.print(exit.stderr());
      System.out.flush();
      System.exit(exit.status());
    }
    FlanneldOptions options = ((CommandLineOutcome.Start) outcome).options();
    // Before the first log line, so that every line of this run has the chosen format.
    LogSetup.use(options.logFormat());
    String mismatch = ClassPathStore.mismatch(System.getProperty(ClassPathStore.PROPERTY), options.kube().enabled());
    if (mismatch != null) {
      System.err.println(mismatch);
      System.exit(1);
    }
    setVerbosity(options.verbosity());
    options.ignoredLogFlags().forEach((flag, value) -> LoggerFactory.getLogger(Flanneld.class)
        .debug("{}={} is accepted as upstream's klog flag and has no effect", flag, value));
    System.exit(run(options));
  }

  private static int run(FlanneldOptions options) {
    Daemon daemon = new Daemon(options, System.getenv());
    // Handle the signals ourselves: a JVM shutdown hook would exit 143, flanneld exits 0.
    LoggerFactory.getLogger(Flanneld.class).info("Installing signal handlers");
    Signal.handle(new Signal("TERM"), s -> daemon.stop(0));
    Signal.handle(new Signal("INT"), s -> daemon.stop(0));
    // Upstream ignores SIGUSR1 and SIGUSR2. The JVM would end with status 138 on SIGUSR1 and
    // crash in its thread-suspension handler on SIGUSR2 (decision 0972).
    Signal.handle(new Signal("USR1"), SignalHandler.SIG_IGN);
    Signal.handle(new Signal("USR2"), SignalHandler.SIG_IGN);
    try {
      daemon.start();
      int status = daemon.awaitExit();
      daemon.close();
      if (status == 0) {
        LoggerFactory.getLogger(Flanneld.class).info("Exiting cleanly...");
      }
      return status;
    } catch (FatalException e) {
      System.err.println("flanneld: " + e.getMessage());
      return 1;
    } catch (RuntimeException | Error e) {
      // A path nobody anticipated, or a broken install (a class missing from lib/): still one
      // line and status 1 (the trace only at -v), and an exit even while other threads run.
      LoggerFactory.getLogger(Flanneld.class).debug("unexpected failure", e);
      System.err.println("flanneld: unexpected error: " + e);
      return 1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 1;
    } finally {
      daemon.close();
    }
  }

  private static void setVerbosity(int v) {
    if (v <= 0) {
      return;
    }
    if (LoggerFactory.getLogger("io.jflannel") instanceof ch.qos.logback.classic.Logger l) {
      l.setLevel(v >= 5 ? Level.TRACE : Level.DEBUG);
    }
  }
}
