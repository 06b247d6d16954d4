package io.jflannel.daemon.run;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jflannel.daemon.KlogCapture;
import io.jflannel.daemon.metrics.Metrics;
import io.jflannel.subnet.IpLiteral;
import io.jflannel.subnet.IpNet;
import io.jflannel.subnet.Lease;
import io.jflannel.subnet.LeaseAttrs;
import io.jflannel.subnet.NetworkConfig;
import io.jflannel.subnet.SubnetException;
import io.jflannel.subnet.SubnetManager;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Upstream's renewal lines, printed by the real renewal on its timer thread, in klog's format. */
class LeaseRenewalLogTest {
  static final Instant FIRST = Instant.parse("2026-12-08T10:00:00Z");
  static final Instant NEXT = Instant.parse("2026-12-09T10:00:00Z");

  /** Renews once at once (the first lease is due), then never again; or fails with {@code error}. */
  static final class OneRenewal implements SubnetManager {
    final String error;
    final LinkedBlockingQueue<Boolean> calls = new LinkedBlockingQueue<>();

    OneRenewal(String error) {
      this.error = error;
    }

    @Override
    public NetworkConfig networkConfig() {
      throw new UnsupportedOperationException();
    }

    @Override
    public Lease acquireLease(LeaseAttrs attrs) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Lease renewLease(Lease lease) throws SubnetException {
      calls.add(true);
      if (error != null) {
        throw new SubnetException(error);
      }
      return new Lease(lease.subnet(), null, lease.attrs(), NEXT);
    }

    @Override
    public Instant renewAt(Lease lease) {
      return lease.expiration().equals(FIRST) ? Instant.now() : Instant.MAX;
    }

    @Override
    public Watch watchPeers(io.jflannel.subnet.PeerListener listener) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void close() {}
  }

  static Lease lease() {
    return new Lease(IpNet.parse("10.244.3.0/24"), null,
        new LeaseAttrs(IpLiteral.parse("192.0.2.10"), null, "vxlan", null, null), FIRST);
  }

  static void renewOnce(OneRenewal store, KlogCapture log, Pattern expected) throws Exception {
    ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();
    try {
      new LeaseRenewal(store, lease(), timers, new Metrics() {}).schedule();
      assertTrue(store.calls.poll(30, TimeUnit.SECONDS) != null, "no renewal");
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (log.lines().stream().noneMatch(l -> expected.matcher(l).matches()) && System.nanoTime() < end) {
        Thread.sleep(20);
      }
      assertTrue(log.lines().stream().anyMatch(l -> expected.matcher(l).matches()), expected + " in " + log.lines());
    } finally {
      timers.shutdownNow();
    }
  }

  @Test
  void aRenewalSaysLeaseRenewedWithTheNewExpiration() throws Exception {
    try (KlogCapture log = KlogCapture.of(LeaseRenewal.class)) {
      renewOnce(new OneRenewal(null), log,
          KlogCapture.line('I', "LeaseRenewal.java", "Lease renewed, new expiration: " + NEXT));
    }
  }

  @Test
  void aFailedRenewalSaysErrorRenewingLease() throws Exception {
    try (KlogCapture log = KlogCapture.of(LeaseRenewal.class)) {
      renewOnce(new OneRenewal("etcd unavailable"), log,
          KlogCapture.line('E', "LeaseRenewal.java", "Error renewing lease (trying again in 1 min): etcd unavailable"));
    }
  }
}
