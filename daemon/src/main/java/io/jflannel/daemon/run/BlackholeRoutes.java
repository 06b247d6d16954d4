package io.jflannel.daemon.run;

import io.jflannel.netlink.Netlink;
import io.jflannel.netlink.NetlinkException;
import io.jflannel.netlink.Route;
import io.jflannel.netlink.RouteFilter;
import io.jflannel.subnet.IpNet;
import io.jflannel.subnet.Lease;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code --ip-blackhole-route}: a blackhole route for each own subnet, installed at start-up
 * and, as upstream does every {@code --iptables-resync}, put back when someone deleted it.
 */
final class BlackholeRoutes implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(BlackholeRoutes.class);

  private final Netlink netlink;
  private final List<IpNet> subnets = new ArrayList<>();
  private volatile ScheduledFuture<?> task;

  BlackholeRoutes(Netlink netlink, Lease lease) {
    this.netlink = netlink;
    for (IpNet s : new IpNet[] {lease.subnet(), lease.ipv6Subnet()}) {
      if (s != null) {
        subnets.add(s.network());
      }
    }
  }

  /** Installs the routes; a failure here is a start-up error. */
  void install() throws FatalException {
    for (IpNet n : subnets) {
      try {
        netlink.routeReplace(route(n));
        LOG.info("blackhole route for {} installed", n);
      } catch (NetlinkException e) {
        throw new FatalException("failed to add the blackhole route for " + n + ": " + e.getMessage(), e);
      }
    }
  }

  /**
   * Puts back each route that is missing; returns how many were. Failures are logged, the next
   * check tries again.
   */
  int check() {
    int readded = 0;
    for (IpNet n : subnets) {
      try {
        if (!present(n)) {
          netlink.routeReplace(route(n));
          readded++;
          LOG.info("blackhole route for {} was missing, re-added", n);
        }
      } catch (NetlinkException e) {
        LOG.error("failed to check the blackhole route for {}: {}", n, e.getMessage());
      }
    }
    return readded;
  }

  /** Checks every {@code period} on {@code timers} until closed. */
  void schedule(ScheduledExecutorService timers, Duration period) {
    long ms = period.toMillis();
    task = timers.scheduleWithFixedDelay(this::check, ms, ms, TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() {
    ScheduledFuture<?> t = task;
    if (t != null) {
      t.cancel(false);
    }
  }

  private boolean present(IpNet n) throws NetlinkException {
    return netlink.routes(RouteFilter.main(0)).stream().anyMatch(r -> r.type() == Route.TYPE_BLACKHOLE
        && r.dstPrefixLength() == n.prefixLength() && n.address().equals(r.dst()));
  }

  private static Route route(IpNet n) {
    return Route.blackhole(n.address(), n.prefixLength());
  }
}
