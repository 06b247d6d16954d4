package io.jflannel.backend.lab;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a command (ip, bridge, ping) and returns its output; a failure raises with stderr. */
public final class Sh {
  private Sh() {
  }

  /** Result of a command. */
  public record Result(int exit, String out, String err) {
  }

  public static Result run(List<String> cmd) {
    try {
      Process p = new ProcessBuilder(cmd).start();
      byte[] out = p.getInputStream().readAllBytes();
      byte[] err = p.getErrorStream().readAllBytes();
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException("timed out: " + String.join(" ", cmd));
      }
      return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new IllegalStateException("cannot run " + String.join(" ", cmd) + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted: " + String.join(" ", cmd), e);
    }
  }

  /** Runs and requires exit 0; returns stdout. */
  public static String ok(String... cmd) {
    Result r = run(List.of(cmd));
    if (r.exit() != 0) {
      throw new IllegalStateException("`" + String.join(" ", cmd) + "` failed (" + r.exit() + "): " + r.err().strip());
    }
    return r.out();
  }

  /** {@code ip -n NS ARGS...}. */
  public static String ip(String ns, String... args) {
    List<String> c = new ArrayList<>(List.of("ip", "-n", ns));
    c.addAll(List.of(args));
    return ok(c.toArray(String[]::new));
  }

  /** {@code ip netns exec NS ARGS...}. */
  public static String exec(String ns, String... args) {
    List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", ns));
    c.addAll(List.of(args));
    return ok(c.toArray(String[]::new));
  }

  /** {@code ip netns exec NS ARGS...} without requiring success. */
  public static Result tryExec(String ns, String... args) {
    List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", ns));
    c.addAll(List.of(args));
    return run(c);
  }
}
