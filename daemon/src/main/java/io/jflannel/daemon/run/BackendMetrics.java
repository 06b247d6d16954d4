package io.jflannel.daemon.run;

import io.jflannel.backend.BackendListener;
import io.jflannel.backend.RejectReason;
import io.jflannel.daemon.metrics.FlannelMetrics;
import io.jflannel.daemon.metrics.Metrics;
import io.jflannel.subnet.NetworkConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Forwards a backend's hooks to the daemon's metrics. The backend reports one peer count per
 * pass; it is the count of every family the network carries (a dual-stack peer has a subnet
 * of each).
 */
final class BackendMetrics implements BackendListener {
  private final Metrics metrics;
  private final String backend;
  private final List<String> families;

  /** Declares {@code backend} for the families {@code config} enables; its series start at zero. */
  BackendMetrics(Metrics metrics, String backend, NetworkConfig config) {
    this(metrics, backend, families(config));
  }

  BackendMetrics(Metrics metrics, String backend, List<String> families) {
    this.metrics = metrics;
    this.backend = backend;
    this.families = List.copyOf(families);
    metrics.backend(backend, this.families);
  }

  /** {@code ipv4} and/or {@code ipv6}, as the {@code family} label names them. */
  static List<String> families(NetworkConfig config) {
    List<String> out = new ArrayList<>(2);
    if (config.enableIpv4()) {
      out.add("ipv4");
    }
    if (config.enableIpv6()) {
      out.add("ipv6");
    }
    return out;
  }

  @Override
  public void peersProgrammed(int count) {
    for (String family : families) {
      metrics.peers(backend, family, count);
    }
  }

  @Override
  public void peersFailing(int count) {
    metrics.failingPeers(backend, count);
  }

  @Override
  public void programmingLatency(Duration latency, int ops) {
    metrics.programmingLatency(backend, latency);
  }

  @Override
  public void netlinkError(String errnoName) {
    metrics.netlinkError(errnoName);
  }

  @Override
  public void resync(ResyncKind kind) {
    metrics.resync(FlannelMetrics.label(kind));
  }

  @Override
  public void repaired(ObjectKind kind, int count) {
    metrics.repair(FlannelMetrics.label(kind), count);
  }

  @Override
  public void peerRejected(String peer, RejectReason reason) {
    metrics.rejectedPeer(reason.label());
  }

  @Override
  public void commandFailed(String command, String reason) {
    metrics.commandFailure(command, reason);
  }

  @Override
  public void packetDrops(String reason, java.util.function.LongSupplier count) {
    metrics.packetDrops(reason, count);
  }
}
