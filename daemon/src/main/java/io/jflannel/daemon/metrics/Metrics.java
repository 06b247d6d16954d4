package io.jflannel.daemon.metrics;

import java.time.Duration;
import java.util.List;

/**
 * What flanneld's parts report for {@code /metrics}. A plain interface with domain verbs, so
 * backends and the rule engine depend on neither the metrics library nor the HTTP server; the
 * Prometheus-backed implementation is {@link FlannelMetrics}. Implementations are thread-safe.
 */
public interface Metrics {

  /** Does nothing; for tests and tools that do not export metrics. */
  Metrics NOOP = new Metrics() {};

  /**
   * The daemon runs {@code backend} for {@code families} ({@code ipv4}, {@code ipv6}): its
   * series ({@code flannel_peers}, {@code flannel_failing_peers},
   * {@code flannel_programming_latency_seconds}) start at zero.
   */
  default void backend(String backend, List<String> families) {}

  /**
   * The number of peers {@code backend} currently programs for {@code family}
   * ({@code flannel_peers}).
   */
  default void peers(String backend, String family, int count) {}

  /**
   * How many accepted peers {@code backend} could not program in their last attempt
   * ({@code flannel_failing_peers}).
   */
  default void failingPeers(String backend, int count) {}

  /**
   * How long programming one change into the kernel took
   * ({@code flannel_programming_latency_seconds}).
   */
  default void programmingLatency(String backend, Duration elapsed) {}

  /** A netlink request failed with {@code errno} (e.g. {@code EEXIST}) ({@code flannel_netlink_errors_total}). */
  default void netlinkError(String errno) {}

  /** A periodic check of {@code kind} ran ({@code flannel_resyncs_total}). */
  default void resync(String kind) {}

  /** Drift of {@code kind} was found and {@code objects} were repaired ({@code flannel_repairs_total}). */
  default void repair(String kind, int objects) {}

  /** A lease renewal finished ({@code flannel_lease_renewals_total{result}}). */
  default void leaseRenewal(boolean success) {}

  /** A peer lease was refused for {@code reason} ({@code flannel_rejected_peers_total}). */
  default void rejectedPeer(String reason) {}

  /**
   * A command of the extension backend failed ({@code flannel_extension_command_failures_total}):
   * {@code command} {@code pre_startup|post_startup|subnet_add|subnet_remove}, {@code reason}
   * {@code exit|timeout|start}.
   */
  default void commandFailure(String command, String reason) {}

  /**
   * The udp backend's running count of packets dropped for {@code reason}, read at each scrape
   * ({@code flannel_udp_dropped_packets_total{reason}}).
   */
  default void packetDrops(String reason, java.util.function.LongSupplier count) {}
}
