package io.jflannel.daemon.rules;

import io.jflannel.subnet.Threads;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * {@link CommandRunner} on {@link ProcessBuilder}: an optional argv prefix (e.g.
 * {@code ip netns exec NS}), stdin piped, stdout and stderr drained concurrently so a chatty
 * command cannot dead-lock on a full pipe, and a time limit.
 */
public final class ProcessCommandRunner implements CommandRunner {
  private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);
  // Own threads for the pipes: draining blocks, which must not tie up a shared pool.
  private static final ExecutorService PIPES = Executors.newCachedThreadPool(Threads.factory("command-pipe"));

  private final List<String> prefix;
  private final Duration timeout;

  /** Runs commands behind {@code prefix} with a 60 s limit. */
  public ProcessCommandRunner(List<String> prefix) {
    this(prefix, DEFAULT_TIMEOUT);
  }

  /** Runs commands behind {@code prefix}, killing any that outlives {@code timeout}. */
  public ProcessCommandRunner(List<String> prefix, Duration timeout) {
    this.prefix = List.copyOf(prefix);
    this.timeout = timeout;
  }

  @Override
  public String run(List<String> argv, String stdin) {
    List<String> full = new ArrayList<>(prefix);
    full.addAll(argv);
    Process p;
    try {
      p = new ProcessBuilder(full).start();
    } catch (IOException e) {
      throw new CommandException(full, -1, e.getMessage() == null ? "" : e.getMessage(), e);
    }
    Future<String> out = PIPES.submit(() -> drain(p.getInputStream()));
    Future<String> err = PIPES.submit(() -> drain(p.getErrorStream()));
    try (OutputStream in = p.getOutputStream()) {
      in.write(stdin.getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      // The command may exit without reading its input; its status and stderr tell why.
    }
    try {
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        p.waitFor();
        throw new CommandException(full, -1, "timed out after " + timeout.toSeconds() + " s", null);
      }
      String stdout = out.get();
      String stderr = err.get();
      if (p.exitValue() != 0) {
        throw new CommandException(full, p.exitValue(), stderr, null);
      }
      return stdout;
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new CommandException(full, -1, "interrupted", e);
    } catch (ExecutionException e) {
      throw new CommandException(full, -1, "reading output: " + e.getCause(), e.getCause());
    }
  }

  private static String drain(InputStream s) {
    try (s) {
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      s.transferTo(b);
      return b.toString(StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
