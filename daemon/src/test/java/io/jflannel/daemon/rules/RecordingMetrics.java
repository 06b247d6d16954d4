package io.jflannel.daemon.rules;

import io.jflannel.daemon.metrics.Metrics;
import java.util.concurrent.atomic.AtomicInteger;

/** Counts resyncs and repairs, for the resync tests. */
final class RecordingMetrics implements Metrics {
  final AtomicInteger resyncs = new AtomicInteger();
  final AtomicInteger repairs = new AtomicInteger();

  @Override
  public void resync(String kind) {
    resyncs.incrementAndGet();
  }

  @Override
  public void repair(String kind, int objects) {
    repairs.addAndGet(objects);
  }
}
