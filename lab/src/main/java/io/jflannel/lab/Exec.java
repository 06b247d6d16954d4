package io.jflannel.lab;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/** Runs short-lived commands (ip, etcdctl, ping, CNI plugins) and captures their output. */
public final class Exec {
  private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
  // Output readers block; they get their own threads, never the (tiny) common pool.
  private static final ExecutorService READERS = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "exec-output");
    t.setDaemon(true);
    return t;
  });

  private Exec() {}

  /** The outcome of one command. */
  public record Result(List<String> command, int exit, String stdout, String stderr) {
    public boolean ok() {
      return exit == 0;
    }

    /** Returns this result, or throws naming the command, its exit code and its stderr. */
    public Result check() {
      if (!ok()) {
        throw new LabException("command failed (exit " + exit + "): " + String.join(" ", command)
            + (stderr.isBlank() ? "" : ": " + stderr.strip())
            + (stdout.isBlank() || !stderr.isBlank() ? "" : ": " + stdout.strip()));
      }
      return this;
    }
  }

  /** Runs a command with no input, the default timeout and the inherited environment. */
  public static Result run(String... command) {
    return run(List.of(command), null, Map.of(), DEFAULT_TIMEOUT);
  }

  /** Runs a command and fails unless it exits 0. */
  public static Result check(String... command) {
    return run(command).check();
  }

  /**
   * Runs a command, feeding {@code stdin} (may be null), with extra environment variables,
   * killing it after {@code timeout}.
   */
  public static Result run(List<String> command, String stdin, Map<String, String> env,
      Duration timeout) {
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().putAll(env);
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      throw new LabException("cannot start " + String.join(" ", command) + ": " + e.getMessage(), e);
    }
    CompletableFuture<String> out = drain(p.getInputStream());
    CompletableFuture<String> err = drain(p.getErrorStream());
    try (OutputStream in = p.getOutputStream()) {
      if (stdin != null) {
        in.write(stdin.getBytes(StandardCharsets.UTF_8));
      }
    } catch (IOException e) {
      // The command may exit without reading its input; its exit code tells the story.
    }
    try {
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        p.waitFor(5, TimeUnit.SECONDS);
        throw new LabException("command timed out after " + timeout.toSeconds() + " s: "
            + String.join(" ", command));
      }
      return new Result(List.copyOf(command), p.exitValue(), out.join(), err.join());
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new LabException("interrupted while running " + String.join(" ", command), e);
    }
  }

  /** The command line that runs {@code command} inside network namespace {@code netns}. */
  public static List<String> inNetns(String netns, String... command) {
    List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", netns));
    full.addAll(List.of(command));
    return full;
  }

  /** Runs {@code command} inside network namespace {@code netns}. */
  public static Result runIn(String netns, String... command) {
    return run(inNetns(netns, command), null, Map.of(), DEFAULT_TIMEOUT);
  }

  /** Whether an executable named {@code name} is on the PATH (or is an existing path). */
  public static boolean onPath(String name) {
    if (name.contains("/")) {
      return new java.io.File(name).canExecute();
    }
    String path = System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
    for (String dir : path.split(":")) {
      if (new java.io.File(dir, name).canExecute()) {
        return true;
      }
    }
    return false;
  }

  private static CompletableFuture<String> drain(InputStream stream) {
    return CompletableFuture.supplyAsync(() -> {
      try (stream) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        stream.transferTo(buf);
        return buf.toString(StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }, READERS);
  }
}
