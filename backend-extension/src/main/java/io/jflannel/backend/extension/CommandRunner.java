package io.jflannel.backend.extension;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Runs one configured command as upstream's extension backend does: no shell
 * ({@link CommandLine}), the daemon's environment plus the command's variables, the given text
 * and a newline on stdin, stdout and stderr combined and trimmed. Unlike upstream, a command is
 * given at most {@code timeout}: then it and every process it started are killed by PID
 * (docs/decisions/1042).
 *
 * <p>Stdin and the output go through files in a private directory rather than pipes, so a
 * command that never reads its stdin, or leaves a child holding its stdout open, cannot block
 * the caller past the timeout. Thread-safe.
 */
final class CommandRunner {
  /** At most this much of a failed command's output goes into a log line. */
  static final int TAIL_CHARS = 512;
  /** Output beyond this is cut (a pre-startup command's output becomes a lease annotation). */
  static final long MAX_OUTPUT_BYTES = 1 << 20;

  private final Path dir;
  private final Duration timeout;
  private final Map<String, String> baseEnv;

  /**
   * @param dir     a directory only this process writes (stdin and output files)
   * @param timeout how long a command may run before it is killed
   * @param baseEnv the daemon's environment (what a word's {@code $NAME} may name besides the command's variables)
   */
  CommandRunner(Path dir, Duration timeout, Map<String, String> baseEnv) {
    this.dir = Objects.requireNonNull(dir, "dir");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("command timeout must be positive, got " + timeout);
    }
    this.timeout = timeout;
    this.baseEnv = Map.copyOf(baseEnv);
  }

  Duration timeout() {
    return timeout;
  }

  /**
   * The outcome of one run.
   *
   * @param argv     the program and arguments after expansion
   * @param exit     the exit status; -1 when it did not start or was killed
   * @param output   stdout and stderr combined, trimmed as upstream trims them
   * @param timedOut whether it was killed after the timeout
   * @param error    why it could not be started, else null
   */
  record Result(List<String> argv, int exit, String output, boolean timedOut, String error) {
    boolean ok() {
      return exit == 0 && !timedOut && error == null;
    }

    /** Why it failed, for a log line: the exit status or the timeout, with the end of its output. */
    String describe() {
      String why = error != null ? "could not be started: " + error
          : timedOut ? "was killed after running too long" : "exited with status " + exit;
      return why + (output.isEmpty() ? "" : ", output: " + tail(output));
    }

    /** The metric label of the failure: {@code exit}, {@code timeout} or {@code start}. */
    String reason() {
      return error != null ? "start" : timedOut ? "timeout" : "exit";
    }
  }

  /** The last {@link #TAIL_CHARS} characters, marked when cut. */
  static String tail(String output) {
    return output.length() <= TAIL_CHARS ? output : "..." + output.substring(output.length() - TAIL_CHARS);
  }

  /**
   * Runs {@code command} with {@code vars} added to the environment and {@code stdin} plus a
   * newline as its input; returns when it exited or was killed.
   */
  Result run(String command, Map<String, String> vars, String stdin) {
    Map<String, String> env = new HashMap<>(baseEnv);
    env.putAll(vars);
    List<String> argv;
    try {
      argv = CommandLine.argv(command, env);
    } catch (IllegalArgumentException e) {
      return new Result(List.of(), -1, "", false, e.getMessage());
    }
    Path in = null;
    Path out = null;
    try {
      in = Files.createTempFile(dir, "stdin-", "");
      out = Files.createTempFile(dir, "output-", "");
      Files.writeString(in, stdin + "\n", StandardCharsets.UTF_8);
      ProcessBuilder pb = new ProcessBuilder(argv)
          .redirectInput(in.toFile())
          .redirectErrorStream(true)
          .redirectOutput(out.toFile());
      Map<String, String> childEnv = pb.environment();
      childEnv.clear();
      childEnv.putAll(baseEnv);
      childEnv.putAll(vars);
      Process p;
      try {
        p = pb.start();
      } catch (IOException e) {
        return new Result(argv, -1, "", false, e.getMessage());
      }
      boolean exited = waitFor(p);
      if (!exited) {
        kill(p);
      }
      return new Result(argv, exited ? p.exitValue() : -1, CommandLine.trim(read(out)), !exited, null);
    } catch (IOException e) {
      throw new UncheckedIOException("extension: cannot run " + argv + " through files in " + dir, e);
    } finally {
      delete(in);
      delete(out);
    }
  }

  private boolean waitFor(Process p) {
    try {
      return p.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false; // shutting down: the command is killed like a hanging one
    }
  }

  /** Kills the command and everything it started, each by its PID, children first. */
  private static void kill(Process p) {
    List<ProcessHandle> children = p.descendants().toList();
    p.destroyForcibly();
    children.forEach(ProcessHandle::destroyForcibly);
    try {
      p.waitFor(5, TimeUnit.SECONDS); // reaped, so no zombie is left behind
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static String read(Path out) throws IOException {
    long size = Files.size(out);
    if (size <= MAX_OUTPUT_BYTES) {
      return new String(Files.readAllBytes(out), StandardCharsets.UTF_8); // malformed bytes become U+FFFD, as Go's JSON encoder writes them
    }
    try (var ch = Files.newByteChannel(out)) {
      var buf = java.nio.ByteBuffer.allocate((int) MAX_OUTPUT_BYTES);
      ch.position(size - MAX_OUTPUT_BYTES);
      while (buf.hasRemaining() && ch.read(buf) > 0) {
        // fill
      }
      return new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8);
    }
  }

  private static void delete(Path p) {
    if (p != null) {
      try {
        Files.deleteIfExists(p);
      } catch (IOException e) {
        // a leftover temp file in our private directory; it is removed with the directory
      }
    }
  }

  /** The command's variables in a stable order, for logs and tests. */
  static Map<String, String> vars(String... keyValues) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i + 1 < keyValues.length; i += 2) {
      m.put(keyValues[i], keyValues[i + 1]);
    }
    return m;
  }
}
