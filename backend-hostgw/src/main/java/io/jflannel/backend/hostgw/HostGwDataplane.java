package io.jflannel.backend.hostgw;

import io.jflannel.backend.BackendListener.ObjectKind;
import io.jflannel.backend.Dataplane;
import io.jflannel.backend.OwnedObjects;
import io.jflannel.backend.PeerCheck;
import io.jflannel.backend.PeerObjects;
import io.jflannel.backend.RejectReason;
import io.jflannel.backend.Rejection;
import io.jflannel.backend.Underlay;
import io.jflannel.netlink.Families;
import io.jflannel.netlink.Netlink;
import io.jflannel.netlink.NetlinkEvent;
import io.jflannel.netlink.NetlinkException;
import io.jflannel.netlink.Route;
import io.jflannel.netlink.RouteFilter;
import io.jflannel.subnet.IpNet;
import io.jflannel.subnet.Lease;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Maps a peer lease to {@code S via A dev <ext>} (docs/compatibility.md#host-gw-backend) and owns the routes inside
 * Network that leave through the external interface via a gateway, except our own subnet.
 * The interface's connected routes (no gateway, proto kernel) are never touched. The
 * interface's index and networks come from the {@link Underlay}, read again every pass.
 */
final class HostGwDataplane implements Dataplane {
  static final String TYPE = "host-gw";

  private final Netlink nl;
  private final Underlay underlay;
  private final IpNet network;
  private final IpNet ownSubnet;
  private volatile List<IpNet> extNetworks = List.of();
  private volatile boolean factsChanged;

  HostGwDataplane(Netlink nl, Underlay underlay, IpNet network, IpNet ownSubnet) {
    this.nl = nl;
    this.underlay = underlay;
    this.network = network;
    this.ownSubnet = ownSubnet;
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
    extNetworks = underlay.connectedIpv4();
    return Set.of();
  }

  @Override
  public boolean peerFactsChanged() {
    boolean changed = factsChanged;
    factsChanged = false;
    return changed;
  }

  /**
   * Only a peer on a directly connected network can be a next hop, and never at an address
   * no node can have (ours, a network or broadcast address).
   */
  @Override
  public PeerCheck peerCheck() {
    PeerCheck onLink = peer -> {
      var ip = peer.attrs().publicIp();
      for (IpNet n : extNetworks) {
        if (n.contains(ip)) {
          return Optional.empty();
        }
      }
      return Optional.of(new Rejection(RejectReason.PEER_NOT_ON_LINK, "public IP " + ip.getHostAddress()
          + " is not on a network directly connected to " + underlay.name() + " " + extNetworks
          + "; host-gw needs every node on one L2 segment (use vxlan otherwise)"));
    };
    return underlay.peerCheck().and(onLink);
  }

  @Override
  public PeerObjects map(Lease peer) {
    return map(peer, underlay.index());
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
        || r.linkIndex() != underlay.index() || r.gateway() == null || r.protocol() == Route.PROTO_KERNEL) {
      return false;
    }
    IpNet dst = IpNet.of(r.dst(), r.dstPrefixLength());
    return network.contains(dst) && !dst.overlaps(ownSubnet);
  }

  /** host-gw has no device of its own. */
  @Override
  public boolean deviceAffected(NetlinkEvent e) {
    return false;
  }

  /** The interface back up, created again, or with other addresses (peers may be (un)reachable). */
  @Override
  public boolean underlayAffected(NetlinkEvent e) {
    return underlay.concerns(e);
  }
}
