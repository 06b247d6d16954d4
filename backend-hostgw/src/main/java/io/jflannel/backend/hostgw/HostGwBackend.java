package io.jflannel.backend.hostgw;

import io.jflannel.backend.Backend;
import io.jflannel.backend.BackendContext;
import io.jflannel.backend.BackendException;
import io.jflannel.backend.Inspection;
import io.jflannel.backend.Network;
import io.jflannel.backend.PeerValidator;
import io.jflannel.backend.ReconcilingNetwork;
import io.jflannel.backend.Underlay;
import io.jflannel.netlink.NetlinkException;
import io.jflannel.subnet.Lease;
import io.jflannel.subnet.LeaseAttrs;
import io.jflannel.subnet.NetworkConfig;
import io.jflannel.subnet.SubnetException;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The host-gw backend (docs/compatibility.md#host-gw-backend): a route per peer via the peer's own address. */
public final class HostGwBackend implements Backend {
  private static final Logger LOG = LoggerFactory.getLogger(HostGwBackend.class);
  private final BackendContext ctx;

  public HostGwBackend(BackendContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public Network registerNetwork(NetworkConfig cfg) throws SubnetException, BackendException {
    var ext = ctx.extIface();
    if (!cfg.enableIpv4() || cfg.network() == null) {
      throw new BackendException("host-gw backend: only IPv4 networks are supported so far (Network is not set)");
    }
    if (cfg.enableIpv6()) {
      throw new BackendException("host-gw backend: IPv6 (EnableIPv6) is not supported yet");
    }
    if (ext.extAddr() == null || ext.ifaceAddr() == null) {
      throw new BackendException("host-gw backend: external interface " + ext.name() + " has no IPv4 address");
    }
    if (!ext.extAddr().equals(ext.ifaceAddr())) {
      throw new BackendException("host-gw backend: the advertised address " + ext.extAddr().getHostAddress()
          + " differs from the address " + ext.ifaceAddr().getHostAddress() + " of " + ext.name()
          + " (NAT?); peers must reach this node directly at its interface address, use vxlan instead");
    }
    // No backend data at all (not a JSON null): upstream's etcd value then has no BackendData
    // key; the kube annotation still reads "null".
    Lease lease = ctx.subnets().acquireLease(
        new LeaseAttrs(ext.extAddr(), null, HostGwDataplane.TYPE, null, null));
    HostGwDataplane dp = new HostGwDataplane(ctx.netlink(), new Underlay(ctx.netlink(), ext), cfg.network(),
        lease.subnet());
    try {
      dp.prepare();
    } catch (NetlinkException e) {
      throw new BackendException("host-gw backend: cannot read the addresses of " + ext.name() + ": " + e.getMessage(), e);
    }
    LOG.info("host-gw: lease {} via {} {}", lease.subnet(), ext.name(), ext.extAddr().getHostAddress());
    return new ReconcilingNetwork(ctx, lease, ext.mtu(), validator(cfg, lease, dp), dp);
  }

  private static PeerValidator validator(NetworkConfig cfg, Lease lease, HostGwDataplane dp) {
    return new PeerValidator(cfg.network(), lease.subnet(), HostGwDataplane.TYPE, dp.peerCheck());
  }

  /** The routes and rules {@link #registerNetwork} would use; host-gw has no device. Reads only. */
  @Override
  public Inspection inspect(NetworkConfig cfg, Lease own) throws BackendException {
    var ext = ctx.extIface();
    if (!cfg.enableIpv4() || cfg.network() == null || own.subnet() == null) {
      throw new BackendException("host-gw backend: only IPv4 networks can be checked");
    }
    HostGwDataplane dp = new HostGwDataplane(ctx.netlink(), new Underlay(ctx.netlink(), ext), cfg.network(),
        own.subnet());
    try {
      dp.prepare(); // reads the interface's addresses; host-gw has nothing to repair there
    } catch (NetlinkException e) {
      throw new BackendException("host-gw backend: cannot read the addresses of " + ext.name() + ": " + e.getMessage(), e);
    }
    return new Inspection(dp, validator(cfg, own, dp), ext.mtu(), List.of());
  }
}
