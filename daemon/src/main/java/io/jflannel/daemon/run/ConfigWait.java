package io.jflannel.daemon.run;

import io.jflannel.subnet.NetworkConfig;
import io.jflannel.subnet.SubnetException;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the network config from etcd until a valid one is there, as upstream's flanneld does
 * (one attempt, a one-second pause, forever): etcd not answering, the config key missing and a
 * config that does not parse or check are all things an operator fixes while the daemon waits
 * ("start flanneld, then write the config"). One line per {@link #REPORT_EVERY} says what is
 * missing, sooner when the reason changes (docs/decisions/1010).
 */
final class ConfigWait {
  private static final Logger LOG = LoggerFactory.getLogger(ConfigWait.class);

  /** Upstream's pause between two attempts. */
  static final Duration RETRY = Duration.ofSeconds(1);
  /** At most one waiting line this often while the reason stays the same. */
  static final Duration REPORT_EVERY = Duration.ofSeconds(5);

  /** One read of the config; throws naming what is missing or wrong. */
  interface Attempt {
    NetworkConfig read() throws SubnetException;
  }

  private final Duration retry;
  private final Duration reportEvery;
  private final LongSupplier nanos;
  private final Consumer<String> report;
  private final CompletableFuture<Void> stop = new CompletableFuture<>();

  ConfigWait() {
    this(RETRY, REPORT_EVERY, System::nanoTime, LOG::error);
  }

  /** Test seam: the pause, the report period, the clock and where the waiting lines go. */
  ConfigWait(Duration retry, Duration reportEvery, LongSupplier nanos, Consumer<String> report) {
    this.retry = Objects.requireNonNull(retry, "retry");
    this.reportEvery = Objects.requireNonNull(reportEvery, "reportEvery");
    this.nanos = Objects.requireNonNull(nanos, "nanos");
    this.report = Objects.requireNonNull(report, "report");
  }

  /**
   * Calls {@code attempt} until it returns a config; empty when {@link #cancel} was called
   * first (the daemon is stopping).
   */
  Optional<NetworkConfig> await(Attempt attempt) {
    long start = nanos.getAsLong();
    long lastReport = 0;
    String lastReason = null;
    int failures = 0;
    while (!stop.isDone()) {
      try {
        NetworkConfig config = attempt.read();
        if (failures > 0) {
          LOG.info("network config found after {} failed attempts in {} s", failures, seconds(start));
        }
        return Optional.of(config);
      } catch (SubnetException e) {
        failures++;
        String reason = e.getMessage();
        long now = nanos.getAsLong();
        if (lastReason == null || !reason.equals(lastReason) || now - lastReport >= reportEvery.toNanos()) {
          // Upstream's prefix, so what operators grep for keeps matching.
          report.accept("Couldn't fetch network config: " + reason + "; retrying every "
              + retryText() + (failures > 1 ? " (waiting for " + seconds(start) + " s)" : ""));
          lastReason = reason;
          lastReport = now;
        }
      }
      if (pause()) {
        break;
      }
    }
    return Optional.empty();
  }

  /** Ends the wait: {@link #await} returns empty after the attempt under way, if any. */
  void cancel() {
    stop.complete(null);
  }

  /** Sleeps one retry period; true when cancelled meanwhile. */
  private boolean pause() {
    try {
      stop.get(retry.toNanos(), TimeUnit.NANOSECONDS);
      return true;
    } catch (TimeoutException e) {
      return false;
    } catch (ExecutionException e) {
      return true; // never completed exceptionally; treated as a stop
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return true;
    }
  }

  private String retryText() {
    return retry.equals(Duration.ofSeconds(1)) ? "second" : retry.toMillis() + " ms";
  }

  private long seconds(long start) {
    return TimeUnit.NANOSECONDS.toSeconds(nanos.getAsLong() - start);
  }
}
