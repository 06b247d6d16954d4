package io.jflannel.daemon.http;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * Whether flanneld is ready: once subnet.env has been written
 * (docs/compatibility.md#health-and-metrics-endpoints), and while the store's view of the peers
 * is current. A listing of the peers that keeps failing after start (an etcd store past gRPC's
 * message limit, a Node list the API server refuses) makes {@code /readyz} answer 503 with the
 * reason until one succeeds (decision 0971).
 */
public final class Readiness {
  private final AtomicBoolean ready = new AtomicBoolean();
  private volatile Supplier<Optional<String>> peerListing = Optional::empty;

  /** Marks the daemon ready; {@code /readyz} answers 200 from now on while the peer listing works. */
  public void markReady() {
    ready.set(true);
  }

  /** Makes readiness also require {@code problem} to be empty (the store's peer listing problem). */
  public void requirePeerListing(Supplier<Optional<String>> problem) {
    peerListing = problem;
  }

  /** True once {@link #markReady()} was called and while the peer listing has no problem. */
  public boolean isReady() {
    return notReadyReason().isEmpty();
  }

  /** Why the daemon is not ready (empty when it is): not started yet, or the peer listing failing. */
  public Optional<String> notReadyReason() {
    if (!ready.get()) {
      return Optional.of("subnet.env not written yet");
    }
    return peerListing.get().map(p -> "the peer list is not current: " + p);
  }
}
