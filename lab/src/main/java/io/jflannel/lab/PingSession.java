package io.jflannel.lab;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A ping that runs until told to stop (for measuring loss while something else happens);
 * stopping sends SIGINT so ping prints its statistics.
 */
public final class PingSession {
  private final Process process;
  private final CompletableFuture<String> output;
  private final String description;

  private PingSession(Process process, String description) {
    this.process = process;
    this.description = description;
    this.output = CompletableFuture.supplyAsync(() -> {
      try {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        process.getInputStream().transferTo(buf);
        return buf.toString(StandardCharsets.UTF_8);
      } catch (IOException e) {
        return "";
      }
    }, r -> {
      Thread t = new Thread(r, "ping-output");
      t.setDaemon(true);
      t.start();
    });
  }

  /** Starts pinging {@code to} from {@code from} every {@code intervalMillis}. */
  public static PingSession start(Pod from, Pod to, int intervalMillis) {
    String interval = String.format(Locale.ROOT, "%.3f", intervalMillis / 1000.0);
    List<String> cmd = Exec.inNetns(from.netns(), "ping", "-n", "-q", "-i", interval, "-W", "1",
        to.ip());
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      return new PingSession(p, from.name() + " -> " + to.name());
    } catch (IOException e) {
      throw new LabException("cannot start ping " + String.join(" ", cmd) + ": " + e.getMessage(), e);
    }
  }

  /** Stops the ping (SIGINT) and returns how many were sent and answered. */
  public Reachability.PingStats stop() {
    try {
      Exec.check("kill", "-INT", Long.toString(process.pid()));
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new LabException("ping " + description + " did not stop on SIGINT");
      }
      return Reachability.parseStats(output.get(10, TimeUnit.SECONDS));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new LabException("interrupted", e);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new LabException("no output from ping " + description, e);
    }
  }
}
