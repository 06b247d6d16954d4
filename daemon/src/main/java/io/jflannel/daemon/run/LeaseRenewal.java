package io.jflannel.daemon.run;

import io.jflannel.daemon.metrics.Metrics;
import io.jflannel.subnet.Lease;
import io.jflannel.subnet.SubnetException;
import io.jflannel.subnet.SubnetManager;
import io.jflannel.subnet.Threads;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Renews the own lease when the store says it is due ({@link SubnetManager#renewAt}), and
 * retries a failed renewal every minute. Leases that never expire are never renewed.
 */
final class LeaseRenewal {
  private static final Logger LOG = LoggerFactory.getLogger(LeaseRenewal.class);
  private static final Duration RETRY = Duration.ofMinutes(1);

  private final SubnetManager subnets;
  private final ScheduledExecutorService timers;
  private final Metrics metrics;
  private volatile Lease lease;

  LeaseRenewal(SubnetManager subnets, Lease lease, ScheduledExecutorService timers, Metrics metrics) {
    this.subnets = subnets;
    this.lease = lease;
    this.timers = timers;
    this.metrics = metrics;
  }

  /** Schedules the next renewal, if the lease ever needs one. */
  void schedule() {
    Instant at = subnets.renewAt(lease);
    if (lease.expiration() == null || at.equals(Instant.MAX)) {
      return;
    }
    long delay = Math.max(0, Duration.between(Instant.now(), at).toMillis());
    LOG.info("lease expires at {}, renewing at {}", lease.expiration(), at);
    Threads.trySchedule(timers, this::renew, delay, TimeUnit.MILLISECONDS);
  }

  private void renew() {
    try {
      lease = subnets.renewLease(lease);
      metrics.leaseRenewal(true);
      LOG.info("Lease renewed, new expiration: {}", lease.expiration());
      schedule();
    } catch (SubnetException | RuntimeException e) {
      metrics.leaseRenewal(false);
      // Upstream's words; they name the retry delay, RETRY.
      LOG.error("Error renewing lease (trying again in 1 min): {}", e.getMessage());
      Threads.trySchedule(timers, this::renew, RETRY.toMillis(), TimeUnit.MILLISECONDS);
    }
  }
}
