package io.jflannel.backend.vxlan;

import io.jflannel.backend.Backend;
import io.jflannel.backend.BackendContext;
import io.jflannel.backend.BackendException;
import io.jflannel.backend.DeviceFact;
import io.jflannel.backend.Inspection;
import io.jflannel.backend.Network;
import io.jflannel.backend.PeerValidator;
import io.jflannel.backend.ReconcilingNetwork;
import io.jflannel.backend.Underlay;
import io.jflannel.netlink.Addr;
import io.jflannel.netlink.Families;
import io.jflannel.netlink.Link;
import io.jflannel.netlink.MacAddress;
import io.jflannel.netlink.NetlinkException;
import io.jflannel.netlink.VxlanAttrs;
import io.jflannel.netlink.VxlanSpec;
import io.jflannel.subnet.IpNet;
import io.jflannel.subnet.Lease;
import io.jflannel.subnet.LeaseAttrs;
import io.jflannel.subnet.NetworkConfig;
import io.jflannel.subnet.SubnetException;
import java.net.InetAddress;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The VXLAN backend (docs/compatibility.md#vxlan-backend). */
public final class VxlanBackend implements Backend {
  private static final Logger LOG = LoggerFactory.getLogger(VxlanBackend.class);
  private final BackendContext ctx;

  public VxlanBackend(BackendContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public Network registerNetwork(NetworkConfig cfg) throws SubnetException, BackendException {
    VxlanOptions opts = VxlanOptions.parse(cfg.backend() == null ? null : cfg.backend().options());
    LOG.info("VXLAN config: VNI={} Port={} GBP={} Learning={} DirectRouting={}", opts.vni(), opts.port(), opts.gbp(),
        opts.learning(), opts.directRouting());
    if (!cfg.enableIpv4() || cfg.network() == null) {
      throw new BackendException("vxlan backend: only IPv4 networks are supported so far (Network is not set)");
    }
    if (cfg.enableIpv6()) {
      throw new BackendException("vxlan backend: IPv6 (EnableIPv6) is not supported yet");
    }
    var ext = ctx.extIface();
    if (ext.extAddr() == null) {
      throw new BackendException("vxlan backend: external interface " + ext.name() + " has no IPv4 address to advertise");
    }
    int mtu = opts.deviceMtu(ext.mtu());
    // The tunnel's source is the interface's own address, as upstream sets it; the lease
    // advertises extAddr, which differs behind NAT (--public-ip): a local address the node
    // does not own makes the kernel drop every encapsulated packet. Without one (upstream's
    // nil) the kernel picks the source by route.
    InetAddress local = ext.ifaceAddr();
    VxlanAttrs attrs = new VxlanAttrs(opts.vni(), ext.index(), local, opts.port(), opts.learning(), opts.gbp(), 0);
    try {
      MacAddress mac = chooseMac(opts, attrs);
      VxlanDevice device = new VxlanDevice(ctx.netlink(), new VxlanSpec(opts.deviceName(), attrs, mac, mtu));
      Link link = device.ensure(ext.index(), null, cfg.network()).link();
      LeaseAttrs published = new LeaseAttrs(ext.extAddr(), null, VxlanDataplane.TYPE,
          new VtepData(opts.vni(), mac).toJson(), null);
      Lease lease = ctx.subnets().acquireLease(published);
      VxlanDataplane dp = new VxlanDataplane(ctx.netlink(), device, link.index(), new Underlay(ctx.netlink(), ext),
          cfg.network(), lease.subnet(), opts.directRouting());
      dp.prepare();
      LOG.info("vxlan: device {} (VNI {}, MAC {}, MTU {}) on {} local {}, advertising {}, lease {}", opts.deviceName(),
          opts.vni(), mac, mtu, ext.name(), local == null ? "by route" : local.getHostAddress(), ext.extAddr().getHostAddress(), lease.subnet());
      return new ReconcilingNetwork(ctx, lease, mtu, validator(cfg, lease, dp), dp);
    } catch (NetlinkException e) {
      throw new BackendException("vxlan backend: cannot set up " + opts.deviceName() + ": " + e.getMessage(), e);
    }
  }

  private static PeerValidator validator(NetworkConfig cfg, Lease lease, VxlanDataplane dp) {
    return new PeerValidator(cfg.network(), lease.subnet(), VxlanDataplane.TYPE, dp.peerCheck(), dp.exclusiveClaim());
  }

  /**
   * The device, peers' objects and rules as {@link #registerNetwork} would set them up, with the
   * published VTEP MAC of {@code own}; reads the kernel only.
   */
  @Override
  public Inspection inspect(NetworkConfig cfg, Lease own) throws BackendException {
    VxlanOptions opts = VxlanOptions.parse(cfg.backend() == null ? null : cfg.backend().options());
    if (!cfg.enableIpv4() || cfg.network() == null || own.subnet() == null) {
      throw new BackendException("vxlan backend: only IPv4 networks can be checked");
    }
    var ext = ctx.extIface();
    int mtu = opts.deviceMtu(ext.mtu());
    VxlanAttrs attrs = new VxlanAttrs(opts.vni(), ext.index(), ext.ifaceAddr(), opts.port(), opts.learning(),
        opts.gbp(), 0);
    MacAddress mac;
    try {
      mac = VtepData.read(own.attrs().backendData()).mac();
    } catch (IllegalArgumentException e) {
      throw new BackendException("vxlan backend: our lease's backend data: " + e.getMessage(), e);
    }
    VxlanDevice device = new VxlanDevice(ctx.netlink(), new VxlanSpec(opts.deviceName(), attrs, mac, mtu));
    try {
      Optional<Link> link = ctx.netlink().link(opts.deviceName());
      List<Addr> addrs = link.isPresent() ? ctx.netlink().addrs(link.get().index(), Families.AF_INET) : List.of();
      IpNet address = new IpNet(own.subnet().network().address(), 32);
      List<DeviceFact> facts = device.inspect(link, addrs, ext.index(), ext.name(), address, cfg.network());
      VxlanDataplane dp = new VxlanDataplane(ctx.netlink(), device, -1, new Underlay(ctx.netlink(), ext),
          cfg.network(), own.subnet(), opts.directRouting());
      dp.observe(link.map(Link::index).orElse(-1));
      return new Inspection(dp, validator(cfg, own, dp), mtu, facts);
    } catch (NetlinkException e) {
      throw new BackendException("vxlan backend: cannot read " + opts.deviceName() + ": " + e.getMessage(), e);
    }
  }

  /**
   * Our published MAC if the store kept it and no current peer advertises it, else the MAC of
   * a reusable existing device, else a random locally administered unicast one: peers keep
   * working across restarts. A kept MAC that a peer uses (a Node manifest copied from another
   * node) is never adopted: the device would answer for that peer, and the peer would be
   * rejected as carrying our own MAC (decision 0975).
   */
  private MacAddress chooseMac(VxlanOptions opts, VxlanAttrs attrs) throws NetlinkException, SubnetException {
    Optional<MacAddress> previous = ctx.subnets().previousOwnAttrs()
        .flatMap(a -> VtepData.restorableMac(a.backendData()));
    if (previous.isPresent()) {
      Optional<String> user = ctx.subnets().currentPeers().entrySet().stream()
          .filter(e -> VtepData.restorableMac(e.getValue().backendData()).equals(previous))
          .map(Map.Entry::getKey).sorted().findFirst();
      if (user.isEmpty()) {
        LOG.info("Interface flannel.{} mac address set to: {}", opts.vni(), previous.get());
        return previous.get();
      }
      LOG.warn("vxlan: not restoring VTEP MAC {} from our earlier backend-data: peer {} advertises it (a copied"
          + " Node manifest?); using another one", previous.get(), user.get());
    }
    Optional<MacAddress> existing = VxlanDevice.findCompatible(ctx.netlink(), opts.deviceName(), attrs)
        .map(Link::hardwareAddress).filter(VtepData::usable).filter(m -> !Optional.of(m).equals(previous));
    return existing.orElseGet(MacAddress::randomLocalUnicast);
  }
}
