package io.jflannel.daemon.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@link Metrics} on a micrometer {@link PrometheusMeterRegistry}. Meter names use
 * micrometer's dotted form; the registry renders them as {@code flannel_...} with the usual
 * Prometheus suffixes ({@code _total}, {@code _seconds}).
 */
public final class FlannelMetrics implements Metrics {
  private final PrometheusMeterRegistry registry;
  private final Map<String, AtomicInteger> peers = new ConcurrentHashMap<>();
  private final java.util.List<Object> functionState = new java.util.concurrent.CopyOnWriteArrayList<>();

  /** A fresh registry, with {@code flannel_build_info{version}} set to 1. */
  public FlannelMetrics(String version) {
    Objects.requireNonNull(version, "version");
    this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Gauge.builder("flannel.build.info", () -> 1)
        .description("jflannel build information; the value is always 1")
        .tag("version", version)
        .register(registry);
  }

  /** The current metrics in the Prometheus text exposition format. */
  public String scrape() {
    return registry.scrape();
  }

  /** The underlying registry, for binding further meters (JVM, process). */
  public PrometheusMeterRegistry registry() {
    return registry;
  }

  @Override
  public void peers(String backend, int count) {
    peers.computeIfAbsent(backend, b -> {
      AtomicInteger value = new AtomicInteger();
      Gauge.builder("flannel.peers", value, AtomicInteger::get)
          .description("Peers currently programmed, by backend")
          .tag("backend", b)
          .register(registry);
      return value;
    }).set(count);
  }

  @Override
  public void programmingLatency(String backend, Duration elapsed) {
    Timer.builder("flannel.programming.latency")
        .description("Time to program one change into the kernel")
        .tag("backend", backend)
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(1))
        .maximumExpectedValue(Duration.ofSeconds(30))
        .register(registry)
        .record(elapsed);
  }

  @Override
  public void netlinkError(String errno) {
    count("flannel.netlink.errors", "Failed netlink requests, by errno", "errno", errno);
  }

  @Override
  public void resync(String kind) {
    count("flannel.resyncs", "Periodic state checks, by kind", "kind", kind);
  }

  @Override
  public void repair(String kind, int objects) {
    count("flannel.repairs", "Drift found and repaired, by kind", "kind", kind, objects);
  }

  @Override
  public void leaseRenewal(boolean success) {
    count("flannel.lease.renewals", "Subnet lease renewals, by result", "result",
        success ? "success" : "failure");
  }

  @Override
  public void rejectedPeer(String reason) {
    count("flannel.rejected.peers", "Peer leases refused, by reason", "reason", reason);
  }

  /**
   * Exposes peer data the store could not parse as
   * {@code flannel_rejected_peers_total{reason="malformed"}}, read from {@code source} at
   * each scrape.
   */
  public void malformedPeers(java.util.function.LongSupplier source) {
    io.micrometer.core.instrument.FunctionCounter.builder("flannel.rejected.peers", source,
            s -> (double) s.getAsLong())
        .description("Peer leases refused, by reason")
        .tag("reason", "malformed")
        .register(registry);
    // micrometer holds function state weakly; without this the lambda is collected and reads 0
    functionState.add(source);
  }

  private void count(String name, String description, String tag, String value) {
    count(name, description, tag, value, 1);
  }

  private void count(String name, String description, String tag, String value, double amount) {
    Counter.builder(name).description(description).tag(tag, value).register(registry).increment(amount);
  }
}
