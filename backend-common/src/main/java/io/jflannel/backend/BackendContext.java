package io.jflannel.backend;

import io.jflannel.netlink.Netlink;
import io.jflannel.subnet.SubnetManager;
import java.time.Duration;
import java.util.Objects;

/**
 * What a backend gets from the daemon.
 *
 * @param netlink        kernel handle in the node's network namespace
 * @param extIface       the interface peers reach this node through
 * @param subnets        the store of leases
 * @param listener       metrics hooks; {@link BackendListener#NOOP} when none
 * @param resyncInterval period of the safety-net full resync (default 60 s)
 */
public record BackendContext(Netlink netlink, ExternalInterface extIface, SubnetManager subnets,
                             BackendListener listener, Duration resyncInterval) {

  /** Default period of the safety-net resync. */
  public static final Duration DEFAULT_RESYNC = Duration.ofSeconds(60);

  public BackendContext {
    Objects.requireNonNull(netlink, "netlink");
    Objects.requireNonNull(extIface, "extIface");
    Objects.requireNonNull(subnets, "subnets");
    listener = listener == null ? BackendListener.NOOP : listener;
    resyncInterval = resyncInterval == null ? DEFAULT_RESYNC : resyncInterval;
    if (resyncInterval.isNegative() || resyncInterval.isZero()) {
      throw new IllegalArgumentException("resync interval must be positive, got " + resyncInterval);
    }
  }

  /** A context with the default resync interval. */
  public BackendContext(Netlink netlink, ExternalInterface extIface, SubnetManager subnets,
                        BackendListener listener) {
    this(netlink, extIface, subnets, listener, DEFAULT_RESYNC);
  }
}
