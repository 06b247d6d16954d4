package io.jflannel.backend.alloc;

import io.jflannel.backend.Backend;
import io.jflannel.backend.BackendContext;
import io.jflannel.backend.BackendException;
import io.jflannel.backend.Network;
import io.jflannel.backend.PeerValidator;
import io.jflannel.backend.ReconcilingNetwork;
import io.jflannel.subnet.Lease;
import io.jflannel.subnet.LeaseAttrs;
import io.jflannel.subnet.NetworkConfig;
import io.jflannel.subnet.SubnetException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The alloc backend (docs/compatibility.md#alloc-backend): leases and publishes the node's
 * subnet and programs nothing; something else carries the traffic.
 *
 * <p>The lease is upstream's: the advertised address and no backend type or data at all (etcd
 * value {@code {"PublicIP":"192.0.2.1","PublicIPv6":null}}, kube annotation
 * {@code backend-type: ""}), so peers of an alloc network publish the empty type and are
 * accepted into the peer view against it (docs/decisions/1040).
 */
public final class AllocBackend implements Backend {
  private static final Logger LOG = LoggerFactory.getLogger(AllocBackend.class);
  /** What an alloc lease publishes as its backend type: nothing, as upstream. */
  static final String PUBLISHED_TYPE = "";
  private final BackendContext ctx;

  public AllocBackend(BackendContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public Network registerNetwork(NetworkConfig cfg) throws SubnetException, BackendException {
    var ext = ctx.extIface();
    if (!cfg.enableIpv4() || cfg.network() == null) {
      throw new BackendException("alloc backend: only IPv4 networks are supported so far (Network is not set)");
    }
    if (cfg.enableIpv6()) {
      throw new BackendException("alloc backend: IPv6 (EnableIPv6) is not supported yet");
    }
    if (ext.extAddr() == null) {
      throw new BackendException("alloc backend: external interface " + ext.name() + " has no IPv4 address");
    }
    Lease lease = ctx.subnets().acquireLease(new LeaseAttrs(ext.extAddr(), null, PUBLISHED_TYPE, null, null));
    LOG.info("alloc: lease {} for {}; no device or route is programmed", lease.subnet(),
        ext.extAddr().getHostAddress());
    AllocDataplane dp = new AllocDataplane();
    PeerValidator validator = new PeerValidator(cfg.network(), lease.subnet(), PUBLISHED_TYPE, dp.peerCheck());
    // The pod MTU is the interface's: upstream's alloc network reports it unchanged.
    return new ReconcilingNetwork(ctx, lease, ext.mtu(), validator, dp);
  }
}
