package io.jflannel.daemon.metrics;

import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.core.metrics.Info;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import io.jflannel.backend.BackendListener;
import io.jflannel.backend.RejectReason;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * {@link Metrics} on the Prometheus Java client's own registry (docs/decisions/0502, 0836),
 * rendered in the Prometheus text format. Counters get the {@code _total} suffix from the
 * client; the latency histogram has fixed buckets from 1 ms to 30 s. No metric samples
 * exemplars: the client's exemplar sampler looks for an OpenTelemetry span through a module the
 * build leaves out.
 *
 * <p>Every series a dashboard or an alert reads exists from the first scrape, at zero until
 * something happens (decision 0930): the counters start with every label value they can take
 * that is known in advance (repair and resync kinds, reject reasons, renewal results, the
 * errnos rtnetlink answers our requests with), and the per-backend series when the daemon
 * names its backend ({@link #backend}).
 */
public final class FlannelMetrics implements Metrics {
  /** Upper bounds of {@code flannel_programming_latency_seconds}, 1 ms to 30 s. */
  static final double[] LATENCY_BOUNDS = {
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
  private static final String MALFORMED = "malformed";
  /** The rule engines' kinds, as {@code TrafficRules.kind()} names them. */
  static final List<String> RULE_KINDS = List.of("iptables", "nftables");
  /**
   * The errnos rtnetlink answers route, neighbour, FDB, link and address requests with, as
   * {@code netlink.Errno} names them; other errnos appear when they first happen.
   */
  /** The extension backend's commands and the ways one fails, as its series label them. */
  static final List<String> EXTENSION_COMMANDS = List.of("pre_startup", "post_startup", "subnet_add", "subnet_remove");
  static final List<String> COMMAND_FAILURES = List.of("exit", "timeout", "start");
  /** The backend type whose commands {@code flannel_extension_command_failures_total} counts. */
  static final String EXTENSION = "extension";
  static final List<String> NETLINK_ERRNOS = List.of("EPERM", "ENOENT", "ESRCH", "EEXIST", "ENODEV",
      "EINVAL", "EBUSY", "ENETDOWN", "ENETUNREACH", "EHOSTUNREACH", "ENOBUFS", "EOPNOTSUPP");
  /** The backend whose packet loop {@code flannel_udp_dropped_packets_total} counts, and its reasons. */
  static final String UDP = "udp";
  static final List<String> UDP_DROP_REASONS = List.of("no_route", "ttl", "malformed", "not_ipv4", "send_error",
      "write_error");

  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
  private final Gauge peers;
  private final Gauge failingPeers;
  private final Histogram latency;
  private final Counter netlinkErrors;
  private final Counter resyncs;
  private final Counter repairs;
  private final Counter renewals;
  private final Counter rejected;
  private final Counter listFailures;
  private final Counter commandFailures;
  private final Gauge storeSynced;
  private final List<LongSupplier> malformedSources = new CopyOnWriteArrayList<>();
  private long malformedCounted; // guarded by this
  private volatile LongSupplier listFailureSource;
  private volatile BooleanSupplier syncedSource;
  private long listFailuresCounted; // guarded by this
  private final Counter udpDrops;
  /** The udp packet loop's running drop counts by reason, and what the counter shows of each (guarded by this). */
  private final java.util.Map<String, LongSupplier> udpDropSources = new java.util.concurrent.ConcurrentHashMap<>();
  private final java.util.Map<String, Long> udpDropsCounted = new java.util.HashMap<>();

  /** A fresh registry, with {@code flannel_build_info{version}} set to 1 and never ready. */
  public FlannelMetrics(String version) {
    this(version, () -> false);
  }

  /**
   * A fresh registry, with {@code flannel_build_info{version}} set to 1 and
   * {@code flannel_ready} read from {@code ready} at each scrape.
   */
  public FlannelMetrics(String version, BooleanSupplier ready) {
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(ready, "ready");
    Info.builder().name("flannel_build_info")
        .help("jflannel build information; the value is always 1")
        .labelNames("version")
        .register(registry)
        .addLabelValues(version);
    GaugeWithCallback.builder().name("flannel_ready")
        .help("1 once subnet.env is written and /readyz answers 200, else 0")
        .callback(cb -> cb.call(ready.getAsBoolean() ? 1 : 0))
        .register(registry);
    peers = Gauge.builder().name("flannel_peers")
        .help("Peers currently programmed, by backend and address family")
        .labelNames("backend", "family")
        .withoutExemplars()
        .register(registry);
    failingPeers = Gauge.builder().name("flannel_failing_peers")
        .help("Accepted peers the kernel refused in their last attempt (retried with backoff), by backend")
        .labelNames("backend")
        .withoutExemplars()
        .register(registry);
    latency = Histogram.builder().name("flannel_programming_latency_seconds")
        .help("Time to program one change into the kernel")
        .labelNames("backend")
        .classicOnly()
        .classicUpperBounds(LATENCY_BOUNDS)
        .withoutExemplars()
        .register(registry);
    netlinkErrors = counter("flannel_netlink_errors", "Failed netlink requests, by errno", "errno");
    resyncs = counter("flannel_resyncs", "Periodic state checks, by kind", "kind");
    repairs = counter("flannel_repairs", "Drift found and repaired, by kind", "kind");
    renewals = counter("flannel_lease_renewals", "Subnet lease renewals, by result", "result");
    rejected = counter("flannel_rejected_peers", "Peer leases refused, by reason", "reason");
    for (BackendListener.ObjectKind k : BackendListener.ObjectKind.values()) {
      repairs.initLabelValues(label(k));
    }
    for (BackendListener.ResyncKind k : BackendListener.ResyncKind.values()) {
      resyncs.initLabelValues(label(k));
    }
    for (String kind : RULE_KINDS) {
      repairs.initLabelValues(kind);
      resyncs.initLabelValues(kind);
    }
    for (RejectReason r : RejectReason.values()) {
      rejected.initLabelValues(r.label());
    }
    rejected.initLabelValues(MALFORMED);
    NETLINK_ERRNOS.forEach(netlinkErrors::initLabelValues);
    renewals.initLabelValues("success");
    renewals.initLabelValues("failure");
    commandFailures = Counter.builder().name("flannel_extension_command_failures")
        .help("Commands of the extension backend that failed (non-zero exit, killed after the timeout, not started), by command and reason")
        .labelNames("command", "reason").withoutExemplars().register(registry);
    listFailures = Counter.builder().name("flannel_store_list_failures")
        .help("Listings of the peers in the store (etcd re-list, Node list) that failed")
        .withoutExemplars().register(registry);
    storeSynced = Gauge.builder().name("flannel_store_synced")
        .help("1 while the latest listing of the peers in the store succeeded, 0 while it fails")
        .withoutExemplars().register(registry);
    udpDrops = counter("flannel_udp_dropped_packets",
        "Packets the udp backend dropped, by reason (no_route: no peer owns the destination)", "reason");
  }

  /** How metric labels name a backend's object or resync kind: {@code route}, {@code periodic}. */
  public static String label(Enum<?> kind) {
    return kind.name().toLowerCase(Locale.ROOT);
  }

  private Counter counter(String name, String help, String label) {
    return Counter.builder().name(name).help(help).labelNames(label).withoutExemplars().register(registry);
  }

  /** The current metrics in the Prometheus text exposition format. */
  public String scrape() {
    countMalformed();
    countListing();
    countUdpDrops();
    ByteArrayOutputStream out = new ByteArrayOutputStream(8192);
    try {
      writer.write(out, registry.scrape(), EscapingScheme.UNDERSCORE_ESCAPING);
    } catch (IOException e) {
      throw new UncheckedIOException("rendering metrics", e); // a byte array stream does not fail
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  @Override
  public void backend(String backend, List<String> families) {
    for (String family : families) {
      peers.labelValues(backend, family).set(0);
    }
    latency.initLabelValues(backend);
    failingPeers.labelValues(backend).set(0);
    if (UDP.equals(backend)) {
      UDP_DROP_REASONS.forEach(udpDrops::initLabelValues);
    }
    if (EXTENSION.equals(backend)) {
      for (String command : EXTENSION_COMMANDS) {
        for (String reason : COMMAND_FAILURES) {
          commandFailures.initLabelValues(command, reason);
        }
      }
    }
  }

  @Override
  public void commandFailure(String command, String reason) {
    commandFailures.labelValues(command, reason).inc();
  }

  @Override
  public void failingPeers(String backend, int count) {
    failingPeers.labelValues(backend).set(count);
  }

  @Override
  public void peers(String backend, String family, int count) {
    peers.labelValues(backend, family).set(count);
  }

  @Override
  public void programmingLatency(String backend, Duration elapsed) {
    latency.labelValues(backend).observe(elapsed.toNanos() / 1e9);
  }

  @Override
  public void netlinkError(String errno) {
    netlinkErrors.labelValues(errno).inc();
  }

  @Override
  public void resync(String kind) {
    resyncs.labelValues(kind).inc();
  }

  @Override
  public void repair(String kind, int objects) {
    repairs.labelValues(kind).inc(objects);
  }

  @Override
  public void leaseRenewal(boolean success) {
    renewals.labelValues(success ? "success" : "failure").inc();
  }

  @Override
  public void rejectedPeer(String reason) {
    rejected.labelValues(reason).inc();
  }

  /**
   * Exposes peer data the store could not parse as
   * {@code flannel_rejected_peers_total{reason="malformed"}}: {@code source} is a running
   * count, read at each scrape and added to the counter by its growth since the last one.
   */
  public void malformedPeers(LongSupplier source) {
    malformedSources.add(Objects.requireNonNull(source, "source"));
  }

  /**
   * Exposes the store's peer listing: {@code failures} (a running count, read at each scrape)
   * as {@code flannel_store_list_failures_total} and {@code synced} as
   * {@code flannel_store_synced} (1 or 0).
   */
  public void storeListing(LongSupplier failures, BooleanSupplier synced) {
    listFailureSource = Objects.requireNonNull(failures, "failures");
    syncedSource = Objects.requireNonNull(synced, "synced");
  }

  private synchronized void countListing() {
    LongSupplier f = listFailureSource;
    BooleanSupplier s = syncedSource;
    if (f == null || s == null) {
      return;
    }
    long total = f.getAsLong();
    if (total > listFailuresCounted) {
      listFailures.inc(total - listFailuresCounted);
    }
    listFailuresCounted = total;
    storeSynced.set(s.getAsBoolean() ? 1 : 0);
  }

  /**
   * Exposes the udp backend's packet drops as {@code flannel_udp_dropped_packets_total{reason}}:
   * {@code count} is a running count, read at each scrape (the packet loop only bumps it).
   */
  @Override
  public void packetDrops(String reason, LongSupplier count) {
    udpDropSources.put(Objects.requireNonNull(reason, "reason"), Objects.requireNonNull(count, "count"));
  }

  private synchronized void countUdpDrops() {
    udpDropSources.forEach((reason, source) -> {
      long total = source.getAsLong();
      long counted = udpDropsCounted.getOrDefault(reason, 0L);
      if (total > counted) {
        udpDrops.labelValues(reason).inc(total - counted);
      }
      udpDropsCounted.put(reason, total);
    });
  }

  private synchronized void countMalformed() {
    long total = 0;
    for (LongSupplier s : malformedSources) {
      total += s.getAsLong();
    }
    if (total > malformedCounted) {
      rejected.labelValues(MALFORMED).inc(total - malformedCounted);
    }
    malformedCounted = total; // a source that starts over (a new store) counts on from there
  }
}
