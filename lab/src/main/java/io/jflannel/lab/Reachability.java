package io.jflannel.lab;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Pings between pods. */
public final class Reachability {
  private static final Pattern STATS =
      Pattern.compile("(\\d+) packets transmitted, (\\d+) (?:packets )?received");

  private Reachability() {}

  /** Counts of a ping run. */
  public record PingStats(int sent, int received) {
    public int lost() {
      return sent - received;
    }
  }

  /** Whether {@code from} reaches {@code to}: up to {@code attempts} pings of 1 s each. */
  public static boolean reaches(Pod from, Pod to, int attempts) {
    for (int i = 0; i < attempts; i++) {
      if (Exec.run(Exec.inNetns(from.netns(), "ping", "-c1", "-W1", "-n", to.ip()), null,
          java.util.Map.of(), Duration.ofSeconds(10)).ok()) {
        return true;
      }
    }
    return false;
  }

  /** Every pod pings every other pod (in parallel); the result as a matrix. */
  public static ReachabilityMatrix matrix(List<Pod> pods, int attempts) {
    ExecutorService pool = Executors.newFixedThreadPool(Math.min(8, Math.max(1, pods.size())));
    try {
      List<List<Future<Boolean>>> futures = new ArrayList<>();
      for (Pod from : pods) {
        List<Future<Boolean>> row = new ArrayList<>();
        for (Pod to : pods) {
          row.add(from == to ? null : pool.submit(() -> reaches(from, to, attempts)));
        }
        futures.add(row);
      }
      boolean[][] ok = new boolean[pods.size()][pods.size()];
      for (int i = 0; i < pods.size(); i++) {
        for (int j = 0; j < pods.size(); j++) {
          ok[i][j] = i == j || futures.get(i).get(j).get();
        }
      }
      return new ReachabilityMatrix(List.copyOf(pods), ok);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new LabException("interrupted while pinging", e);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new LabException("ping failed: " + e.getCause().getMessage(), e.getCause());
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * Sends {@code count} pings at {@code intervalMillis} from {@code from} to {@code to}, each
   * waiting up to 1 s, and counts replies. Blocks until done.
   */
  public static PingStats pingRun(Pod from, Pod to, int count, int intervalMillis) {
    String interval = String.format(java.util.Locale.ROOT, "%.3f", intervalMillis / 1000.0);
    Exec.Result r = Exec.run(Exec.inNetns(from.netns(), "ping", "-n", "-q", "-c",
        Integer.toString(count), "-i", interval, "-W", "1", to.ip()), null, java.util.Map.of(),
        Duration.ofMillis((long) count * intervalMillis + 30_000));
    return parseStats(r.stdout());
  }

  /** Parses ping's summary line. */
  static PingStats parseStats(String pingOutput) {
    Matcher m = STATS.matcher(pingOutput);
    if (!m.find()) {
      throw new LabException("no ping statistics in output: " + pingOutput.strip());
    }
    return new PingStats(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)));
  }
}
