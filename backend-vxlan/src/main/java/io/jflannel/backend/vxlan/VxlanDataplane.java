package io.jflannel.backend.vxlan;

import io.jflannel.backend.Claim;
import io.jflannel.backend.BackendListener.ObjectKind;
import io.jflannel.backend.Dataplane;
import io.jflannel.backend.OwnedObjects;
import io.jflannel.backend.PeerCheck;
import io.jflannel.backend.PeerObjects;
import io.jflannel.backend.RejectReason;
import io.jflannel.backend.Rejection;
import io.jflannel.backend.Underlay;
import io.jflannel.netlink.Families;
import io.jflannel.netlink.FdbEntry;
import io.jflannel.netlink.MacAddress;
import io.jflannel.netlink.Neigh;
import io.jflannel.netlink.Netlink;
import io.jflannel.netlink.NetlinkEvent;
import io.jflannel.netlink.NetlinkException;
import io.jflannel.netlink.Route;
import io.jflannel.netlink.RouteFilter;
import io.jflannel.subnet.IpNet;
import io.jflannel.subnet.Lease;
import java.net.InetAddress;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * Maps a peer lease to its VXLAN objects (docs/compatibility.md#vxlan-backend) and owns what jflannel puts on the
 * flannel device: routes inside Network leaving through it, permanent neighbours inside
 * Network on it, permanent {@code self} FDB entries on it; with DirectRouting also routes
 * inside Network via a gateway on the external interface. The external interface's index
 * and networks come from the {@link Underlay}, read again every pass: the device is rebuilt on
 * a new index when the interface was created again.
 */
final class VxlanDataplane implements Dataplane {
  static final String TYPE = "vxlan";

  private final Netlink nl;
  private final VxlanDevice device;
  private final Underlay underlay;
  private final IpNet network;
  private final IpNet ownSubnet;
  private final IpNet deviceAddress;
  private final boolean directRouting;
  private volatile int devIndex;
  private volatile List<IpNet> extNetworks = List.of();
  private volatile boolean factsChanged;

  VxlanDataplane(Netlink nl, VxlanDevice device, int devIndex, Underlay underlay, IpNet network, IpNet ownSubnet,
                 boolean directRouting) {
    this.nl = nl;
    this.device = device;
    this.devIndex = devIndex;
    this.underlay = underlay;
    this.network = network;
    this.ownSubnet = ownSubnet;
    this.deviceAddress = new IpNet(ownSubnet.network().address(), 32);
    this.directRouting = directRouting;
  }

  int deviceIndex() {
    return devIndex;
  }

  @Override
  public String backendType() {
    return TYPE;
  }

  @Override
  public Set<ObjectKind> prepare() throws NetlinkException {
    if (underlay.refresh()) {
      factsChanged = true; // until a pass takes it: a pass that fails after this must not lose it
    }
    // On the interface's current index: a device made on a deleted one went with it.
    VxlanDevice.Result r = device.ensure(underlay.index(), deviceAddress, network);
    devIndex = r.link().index();
    if (directRouting) {
      extNetworks = underlay.connectedIpv4();
    }
    return r.fixed();
  }

  /**
   * Loads the facts {@link #map} and {@link #owns} read without repairing anything (for
   * {@code flanneld check}): the external interface and the device's current index, or -1 when
   * there is no device.
   */
  void observe(int deviceIndex) throws NetlinkException {
    underlay.refresh();
    devIndex = deviceIndex;
    if (directRouting) {
      extNetworks = underlay.connectedIpv4();
    }
  }

  @Override
  public boolean peerFactsChanged() {
    boolean changed = factsChanged;
    factsChanged = false;
    return changed;
  }

  @Override
  public PeerCheck peerCheck() {
    return underlay.peerCheck().and(peer -> {
      MacAddress mac;
      try {
        mac = VtepData.read(peer.attrs().backendData()).mac();
      } catch (IllegalArgumentException e) {
        return Optional.of(new Rejection(RejectReason.BACKEND_DATA_INVALID, e.getMessage()));
      }
      if (mac.isZero()) {
        return Optional.of(new Rejection(RejectReason.BACKEND_DATA_INVALID, "VtepMAC " + mac + " is all zero"));
      }
      if (!mac.isUnicast()) {
        return Optional.of(new Rejection(RejectReason.BACKEND_DATA_INVALID, "VtepMAC " + mac + " is multicast"));
      }
      if (mac.equals(device.mac())) {
        return Optional.of(new Rejection(RejectReason.BACKEND_DATA_INVALID, "VtepMAC " + mac + " is our own"));
      }
      return Optional.empty();
    });
  }

  @Override
  public Function<Lease, Claim> exclusiveClaim() {
    return peer -> new Claim("VtepMAC", VtepData.vtepMac(peer.attrs().backendData()));
  }

  @Override
  public PeerObjects map(Lease peer) {
    return map(peer, devIndex, underlay.index(), directRouting ? extNetworks : List.of());
  }

  /** The objects of one peer (pure). {@code extNetworks} are the networks DirectRouting may use. */
  static PeerObjects map(Lease peer, int devIndex, int extIndex, List<IpNet> extNetworks) {
    IpNet s = peer.subnet();
    InetAddress publicIp = peer.attrs().publicIp();
    // The lease's own address instance when its host bits are zero (IpNet.network keeps it):
    // the route and the neighbour share it with the lease (decision 0855).
    InetAddress gw = s.network().address();
    for (IpNet n : extNetworks) {
      if (n.contains(publicIp)) {
        return PeerObjects.route(Route.via(gw, s.prefixLength(), publicIp, extIndex));
      }
    }
    MacAddress mac = VtepData.vtepMac(peer.attrs().backendData());
    return new PeerObjects(
        List.of(Neigh.permanent(devIndex, gw, mac)),
        List.of(FdbEntry.permanentSelf(devIndex, mac, publicIp)),
        List.of(Route.via(gw, s.prefixLength(), gw, devIndex).onlink()));
  }

  @Override
  public OwnedObjects dumpOwned() throws NetlinkException {
    int dev = devIndex;
    return new OwnedObjects(
        nl.routes(RouteFilter.main(Families.AF_INET)).stream().filter(this::owns).toList(),
        nl.neighs(dev, Families.AF_INET).stream().filter(this::owns).toList(),
        nl.fdb(dev).stream().filter(this::owns).toList());
  }

  @Override
  public boolean owns(Route r) {
    if (r.table() != Route.RT_TABLE_MAIN || !r.isIpv4() || r.dst() == null || r.type() != Route.TYPE_UNICAST
        || r.protocol() == Route.PROTO_KERNEL || !within(r)) {
      return false;
    }
    if (r.linkIndex() == devIndex) {
      return true;
    }
    return directRouting && r.linkIndex() == underlay.index() && r.gateway() != null
        && !ownSubnet.overlaps(IpNet.of(r.dst(), r.dstPrefixLength()));
  }

  private boolean within(Route r) {
    return network.contains(IpNet.of(r.dst(), r.dstPrefixLength()));
  }

  @Override
  public boolean owns(Neigh n) {
    return n.linkIndex() == devIndex && n.family() == Families.AF_INET
        && (n.state() & Neigh.NUD_PERMANENT) != 0 && network.contains(n.address());
  }

  @Override
  public boolean owns(FdbEntry e) {
    return e.linkIndex() == devIndex && (e.flags() & Neigh.NTF_SELF) != 0
        && (e.state() & Neigh.NUD_PERMANENT) != 0 && e.dst() != null
        && VtepData.usable(e.mac()) && !e.mac().equals(device.mac());
  }

  @Override
  public boolean deviceAffected(NetlinkEvent e) {
    if (e instanceof NetlinkEvent.LinkDeleted d) {
      return d.link().index() == devIndex || device.name().equals(d.link().name());
    }
    if (e instanceof NetlinkEvent.LinkChanged c) {
      var l = c.link();
      return (l.index() == devIndex || device.name().equals(l.name()))
          && (!l.up() || l.mtu() != device.mtu() || !device.mac().equals(l.hardwareAddress()));
    }
    if (e instanceof NetlinkEvent.AddrDeleted a) {
      return a.addr().linkIndex() == devIndex && a.addr().address().equals(deviceAddress.address());
    }
    return false;
  }

  /**
   * The external interface back up (DirectRouting's routes went with it), created again (the
   * device must move to the new index) or with other addresses (peer checks, DirectRouting).
   */
  @Override
  public boolean underlayAffected(NetlinkEvent e) {
    return underlay.concerns(e);
  }
}
