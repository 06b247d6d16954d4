package io.jflannel.daemon.rules;

import io.jflannel.daemon.metrics.Metrics;
import io.jflannel.subnet.Threads;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks the {@link TrafficRules} every {@code --iptables-resync} seconds and rebuilds them
 * when something else removed or reordered a rule. A failed check is logged and retried on
 * the next tick; the loop never dies of one.
 */
public final class RuleResync implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RuleResync.class);

  private final TrafficRules rules;
  private final Metrics metrics;
  private final ScheduledExecutorService timer;

  private RuleResync(TrafficRules rules, Metrics metrics) {
    this.rules = rules;
    this.metrics = metrics;
    this.timer = Executors.newSingleThreadScheduledExecutor(Threads.single("rule-resync-" + rules.kind()));
  }

  /** Starts checking {@code rules} every {@code period}, the first check after one period. */
  public static RuleResync start(TrafficRules rules, Duration period, Metrics metrics) {
    Objects.requireNonNull(rules, "rules");
    Objects.requireNonNull(metrics, "metrics");
    if (period.isZero() || period.isNegative()) {
      throw new IllegalArgumentException("resync period must be positive, got " + period);
    }
    RuleResync r = new RuleResync(rules, metrics);
    r.timer.scheduleWithFixedDelay(r::checkOnce, period.toMillis(), period.toMillis(),
        TimeUnit.MILLISECONDS);
    return r;
  }

  /** One check; public so the wiring can run one synchronously (e.g. right after start-up). */
  public void checkOnce() {
    metrics.resync(rules.kind());
    try {
      if (rules.ensure()) {
        metrics.repair(rules.kind(), 1);
      }
    } catch (RuntimeException e) {
      LOG.error("{} rule check failed: {}", rules.kind(), e.getMessage());
    }
  }

  /** Stops the loop; rules stay in place (the dataplane survives restarts). */
  @Override
  public void close() {
    timer.shutdownNow();
    try {
      timer.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
