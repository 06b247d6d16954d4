package io.jflannel.backend;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/** Counts every listener call, for assertions. */
public final class RecordingListener implements BackendListener {
  public final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
  public final List<Duration> latencies = new CopyOnWriteArrayList<>();
  public volatile int peers = -1;
  public volatile int failing = -1;

  private void inc(String key, int n) {
    counts.computeIfAbsent(key, k -> new AtomicInteger()).addAndGet(n);
  }

  /** The count recorded under a key such as {@code repaired.ROUTE} or {@code rejected.PUBLIC_IP_INVALID}. */
  public int count(String key) {
    AtomicInteger c = counts.get(key);
    return c == null ? 0 : c.get();
  }

  @Override
  public void peersProgrammed(int count) {
    peers = count;
  }

  @Override
  public void peersFailing(int count) {
    failing = count;
  }

  @Override
  public void programmingLatency(Duration latency, int ops) {
    latencies.add(latency);
  }

  @Override
  public void netlinkError(String errnoName) {
    inc("error." + errnoName, 1);
  }

  @Override
  public void resync(ResyncKind kind) {
    inc("resync." + kind, 1);
  }

  @Override
  public void repaired(ObjectKind kind, int count) {
    inc("repaired." + kind, count);
  }

  @Override
  public void staleRemoved(ObjectKind kind, int count) {
    inc("stale." + kind, count);
  }

  @Override
  public void peerRejected(String peer, io.jflannel.backend.RejectReason reason) {
    inc("rejected." + reason, 1);
  }

  @Override
  public void commandFailed(String command, String reason) {
    inc("command." + command + "." + reason, 1);
  }
}
