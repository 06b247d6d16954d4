package io.jflannel.backend.udp;

import io.jflannel.backend.BackendListener.ObjectKind;
import io.jflannel.backend.Dataplane;
import io.jflannel.backend.OwnedObjects;
import io.jflannel.backend.PeerCheck;
import io.jflannel.backend.PeerObjects;
import io.jflannel.backend.Underlay;
import io.jflannel.netlink.Addr;
import io.jflannel.netlink.Families;
import io.jflannel.netlink.Link;
import io.jflannel.netlink.NetNs;
import io.jflannel.netlink.Netlink;
import io.jflannel.netlink.NetlinkEvent;
import io.jflannel.netlink.NetlinkException;
import io.jflannel.netlink.Route;
import io.jflannel.netlink.RouteFilter;
import io.jflannel.netlink.socket.NetnsThread;
import io.jflannel.subnet.IpNet;
import io.jflannel.subnet.Lease;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The udp backend's kernel side (docs/compatibility.md#udp-backend): the TUN device
 * {@code flannel0} with {@code <subnet network address>/32}, the MTU and one route for the
 * whole Network through it. Peers need no kernel object: an accepted peer set becomes the
 * {@link PacketForwarder}'s {@link PeerTable}. {@link #prepare} puts back whatever was lost:
 * a deleted device is created again on the same descriptor, an address, the MTU, the up
 * flag or the route.
 */
final class UdpDataplane implements Dataplane {
  private static final Logger LOG = LoggerFactory.getLogger(UdpDataplane.class);
  /** How the dataplane is named in logs and metrics; the leases themselves carry no type. */
  static final String TYPE = "udp";
  /** What a udp lease publishes as its backend type: nothing, as upstream (decision 1050). */
  static final String PUBLISHED_TYPE = "";
  static final String DEVICE = "flannel0";
  private static final PeerObjects NOTHING = new PeerObjects(List.of(), List.of(), List.of());

  private final Netlink nl;
  private final TunDevice tun;
  private final PacketForwarder forwarder;
  private final Underlay underlay;
  private final IpNet network;
  private final IpNet deviceAddress;
  private final int mtu;
  private final int port;
  private volatile int devIndex;
  private volatile boolean factsChanged;

  UdpDataplane(Netlink nl, TunDevice tun, PacketForwarder forwarder, Underlay underlay, IpNet network,
               IpNet ownSubnet, int mtu, int port) {
    this.nl = nl;
    this.tun = tun;
    this.forwarder = forwarder;
    this.underlay = underlay;
    this.network = network;
    this.deviceAddress = new IpNet(ownSubnet.network().address(), 32);
    this.mtu = mtu;
    this.port = port;
  }

  int deviceIndex() {
    return devIndex;
  }

  PacketForwarder forwarder() {
    return forwarder;
  }

  @Override
  public String backendType() {
    return TYPE;
  }

  @Override
  public Set<ObjectKind> prepare() throws NetlinkException {
    if (underlay.refresh()) {
      factsChanged = true;
    }
    Set<ObjectKind> fixed = EnumSet.noneOf(ObjectKind.class);
    Optional<Link> found = nl.link(DEVICE);
    if (found.isEmpty() || !"tun".equals(found.get().kind())) {
      if (found.isPresent()) {
        // Not ours (a leftover of another kind): TUNSETIFF would refuse the name.
        LOG.info("deleting {} of kind {}: the udp backend needs a TUN device", DEVICE, found.get().kind());
        nl.deleteLink(found.get().index());
      }
      if (devIndex != 0) {
        LOG.info("{} was deleted; creating it again", DEVICE);
      }
      reattach();
      found = nl.link(DEVICE);
      if (found.isEmpty()) {
        throw new NetlinkException("create TUN device " + DEVICE + ": not there after TUNSETIFF", 0, null);
      }
      fixed.add(ObjectKind.DEVICE);
    }
    Link link = found.get();
    devIndex = link.index();
    if (link.mtu() != mtu) {
      nl.setMtu(link.index(), mtu);
      fixed.add(ObjectKind.DEVICE);
    }
    boolean present = false;
    for (Addr a : nl.addrs(link.index(), Families.AF_INET)) {
      if (a.address().equals(deviceAddress.address()) && a.prefixLength() == 32) {
        present = true;
      } else if (network.contains(a.address())) {
        LOG.info("removing stale address {}/{} from {}", a.address().getHostAddress(), a.prefixLength(), DEVICE);
        nl.addrDelete(a);
        fixed.add(ObjectKind.ADDRESS);
      }
    }
    if (!present) {
      nl.addrReplace(new Addr(link.index(), deviceAddress.address(), 32));
      fixed.add(ObjectKind.ADDRESS);
    }
    if (!link.up()) {
      nl.setUp(link.index());
      fixed.add(ObjectKind.DEVICE);
    }
    Route want = networkRoute(link.index());
    boolean routed = nl.routes(RouteFilter.main(Families.AF_INET)).stream().anyMatch(this::isNetworkRoute);
    if (!routed) {
      nl.routeReplace(want);
      fixed.add(ObjectKind.ROUTE);
    }
    return fixed;
  }

  /** {@code <Network> dev flannel0} (scope universe, main table), as upstream adds it. */
  Route networkRoute(int index) {
    return Route.dev(network.network().address(), network.prefixLength(), index);
  }

  private boolean isNetworkRoute(Route r) {
    return r.table() == Route.RT_TABLE_MAIN && r.dst() != null && r.linkIndex() == devIndex
        && r.dstPrefixLength() == network.prefixLength() && r.dst().equals(network.network().address());
  }

  /** Opens the device again (in the handle's namespace) onto the forwarder's descriptor. */
  private void reattach() throws NetlinkException {
    NetNs ns = nl.namespace();
    if (ns == null) {
      tun.reattach();
    } else {
      NetnsThread.call(ns, () -> {
        tun.reattach();
        return null;
      });
    }
  }

  @Override
  public boolean peerFactsChanged() {
    boolean changed = factsChanged;
    factsChanged = false;
    return changed;
  }

  /** A peer at an address no node can have would swallow its subnet's packets. */
  @Override
  public PeerCheck peerCheck() {
    return underlay.peerCheck();
  }

  /** Nothing in the kernel: the forwarder carries the peer's packets. */
  @Override
  public PeerObjects map(Lease peer) {
    return NOTHING;
  }

  @Override
  public void acceptedPeersChanged(Map<String, Lease> accepted) {
    PeerTable t = PeerTable.of(accepted.values(), port);
    forwarder.table(t);
    LOG.debug("forwarding table: {}", t);
  }

  /** The Network route is the device's, kept by {@link #prepare}; no peer object is owned. */
  @Override
  public OwnedObjects dumpOwned() {
    return OwnedObjects.EMPTY;
  }

  @Override
  public boolean owns(Route r) {
    return false;
  }

  /** The device deleted, down or with another MTU; its address or the Network route deleted. */
  @Override
  public boolean deviceAffected(NetlinkEvent e) {
    if (e instanceof NetlinkEvent.LinkDeleted d) {
      return d.link().index() == devIndex || DEVICE.equals(d.link().name());
    }
    if (e instanceof NetlinkEvent.LinkChanged c) {
      Link l = c.link();
      return (l.index() == devIndex || DEVICE.equals(l.name())) && (!l.up() || l.mtu() != mtu);
    }
    if (e instanceof NetlinkEvent.AddrDeleted a) {
      return a.addr().linkIndex() == devIndex && a.addr().address().equals(deviceAddress.address());
    }
    if (e instanceof NetlinkEvent.RouteDeleted r) {
      return isNetworkRoute(r.route());
    }
    return false;
  }

  @Override
  public boolean underlayAffected(NetlinkEvent e) {
    return underlay.concerns(e);
  }
}
