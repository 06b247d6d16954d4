package io.jflannel.daemon.http;

import java.util.concurrent.atomic.AtomicBoolean;

/** Whether flanneld is ready: set once subnet.env has been written (docs/compatibility.md#health-and-metrics-endpoints). */
public final class Readiness {
  private final AtomicBoolean ready = new AtomicBoolean();

  /** Marks the daemon ready; {@code /readyz} answers 200 from now on. */
  public void markReady() {
    ready.set(true);
  }

  /** True once {@link #markReady()} was called. */
  public boolean isReady() {
    return ready.get();
  }
}
