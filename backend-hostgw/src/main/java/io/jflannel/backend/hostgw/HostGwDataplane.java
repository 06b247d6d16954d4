package io.jflannel.backend.hostgw;

import io.jflannel.backend.BackendListener.ObjectKind;
import io.jflannel.backend.Dataplane;
import io.jflannel.backend.ExternalInterface;
import io.jflannel.backend.OwnedObjects;
import io.jflannel.backend.PeerCheck;
import io.jflannel.backend.PeerObjects;
import io.jflannel.backend.RejectReason;
import io.jflannel.backend.Rejection;
import io.jflannel.netlink.Addr;
import io.jflannel.netlink.Families;
import io.jflannel.netlink.FdbEntry;
import io.jflannel.netlink.Neigh;
import io.jflannel.netlink.Netlink;
import io.jflannel.netlink.NetlinkEvent;
import io.jflannel.netlink.NetlinkException;
import io.jflannel.netlink.Route;
import io.jflannel.netlink.RouteFilter;
import io.jflannel.subnet.IpNet;
import io.jflannel.subnet.Lease;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Maps a peer lease to {@code S via A dev <ext>} (docs/compatibility.md#host-gw-backend) and owns the routes inside
 * Network that leave through the external interface via a gateway, except our own subnet.
 * The interface's connected routes (no gateway, proto kernel) are never touched.
 */
final class HostGwDataplane implements Dataplane {
  static final String TYPE = "host-gw";

  private final Netlink nl;
  private final ExternalInterface ext;
  private final IpNet network;
  private final IpNet ownSubnet;
  private volatile List<IpNet> extNetworks = List.of();

  HostGwDataplane(Netlink nl, ExternalInterface ext, IpNet network, IpNet ownSubnet) {
    this.nl = nl;
    this.ext = ext;
    this.network = network;
    this.ownSubnet = ownSubnet;
  }

  @Override
  public String backendType() {
    return TYPE;
  }

  @Override
  public Set<ObjectKind> prepare() throws NetlinkException {
    List<IpNet> nets = new ArrayList<>();
    for (Addr a : nl.addrs(ext.index(), Families.AF_INET)) {
      if (a.prefixLength() < 32) {
        nets.add(new IpNet(a.address(), a.prefixLength()).network());
      }
    }
    extNetworks = List.copyOf(nets);
    return Set.of();
  }

  /** Only a peer on a directly connected network can be a next hop. */
  @Override
  public PeerCheck peerCheck() {
    return peer -> {
      var ip = peer.attrs().publicIp();
      for (IpNet n : extNetworks) {
        if (n.contains(ip)) {
          return Optional.empty();
        }
      }
      return Optional.of(new Rejection(RejectReason.PEER_NOT_ON_LINK, "public IP " + ip.getHostAddress()
          + " is not on a network directly connected to " + ext.name() + " " + extNetworks
          + "; host-gw needs every node on one L2 segment (use vxlan otherwise)"));
    };
  }

  @Override
  public PeerObjects map(Lease peer) {
    return map(peer, ext.index());
  }

  /** {@code S via A dev <ext>} (pure). */
  static PeerObjects map(Lease peer, int extIndex) {
    IpNet s = peer.subnet();
    return PeerObjects.route(Route.via(s.network().address(), s.prefixLength(), peer.attrs().publicIp(),
        extIndex));
  }

  @Override
  public OwnedObjects dumpOwned() throws NetlinkException {
    return new OwnedObjects(nl.routes(RouteFilter.main(Families.AF_INET)).stream().filter(this::owns).toList(),
        List.of(), List.of());
  }

  @Override
  public boolean owns(Route r) {
    if (r.table() != Route.RT_TABLE_MAIN || !r.isIpv4() || r.dst() == null || r.type() != Route.TYPE_UNICAST
        || r.linkIndex() != ext.index() || r.gateway() == null || r.protocol() == Route.PROTO_KERNEL) {
      return false;
    }
    IpNet dst = IpNet.of(r.dst(), r.dstPrefixLength());
    return network.contains(dst) && !dst.overlaps(ownSubnet);
  }

  @Override
  public boolean owns(Neigh n) {
    return false;
  }

  @Override
  public boolean owns(FdbEntry e) {
    return false;
  }

  @Override
  public boolean deviceAffected(NetlinkEvent e) {
    // host-gw has no device of its own; an address change on the external interface may
    // make peers (un)reachable, which the next pass re-evaluates.
    return (e instanceof NetlinkEvent.AddrAdded a && a.addr().linkIndex() == ext.index())
        || (e instanceof NetlinkEvent.AddrDeleted d && d.addr().linkIndex() == ext.index());
  }
}
