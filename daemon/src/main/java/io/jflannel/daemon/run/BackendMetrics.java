package io.jflannel.daemon.run;

import io.jflannel.backend.BackendListener;
import io.jflannel.backend.RejectReason;
import io.jflannel.daemon.metrics.Metrics;
import java.time.Duration;
import java.util.Locale;

/** Forwards a backend's hooks to the daemon's metrics. */
final class BackendMetrics implements BackendListener {
  private final Metrics metrics;
  private final String backend;

  BackendMetrics(Metrics metrics, String backend) {
    this.metrics = metrics;
    this.backend = backend;
  }

  @Override
  public void peersProgrammed(int count) {
    metrics.peers(backend, count);
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
    metrics.resync(kind.name().toLowerCase(Locale.ROOT));
  }

  @Override
  public void repaired(ObjectKind kind, int count) {
    metrics.repair(kind.name().toLowerCase(Locale.ROOT), count);
  }

  @Override
  public void peerRejected(String peer, RejectReason reason) {
    metrics.rejectedPeer(reason.name().toLowerCase(Locale.ROOT));
  }
}
