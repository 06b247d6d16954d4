package io.jflannel.backend;

import io.jflannel.backend.BackendListener.ObjectKind;
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
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** A vxlan-shaped dataplane on a fixed device index, for engine tests without a kernel. */
final class TestDataplane implements Dataplane {
  /** How many times a pass read the kernel state. */
  final java.util.concurrent.atomic.AtomicInteger dumps = new java.util.concurrent.atomic.AtomicInteger();
  static final int DEV = 5;
  final Netlink nl;
  final IpNet network;
  volatile boolean deviceBroken;
  /** When set, prepare() fails with it (a pass that fails as a whole). */
  volatile NetlinkException prepareFails;
  /** Set by a test to make the next prepare() report changed facts. */
  volatile boolean factsChange;
  private volatile boolean factsChanged;
  /** Public IPs the peer check refuses, as the underlay check would (changes with the facts). */
  final Set<String> refusedIps = java.util.concurrent.ConcurrentHashMap.newKeySet();
  /** The external interface's index: LinkChanged with IFF_UP on it asks for a pass. */
  static final int EXT = 2;

  TestDataplane(Netlink nl, IpNet network) {
    this.nl = nl;
    this.network = network;
  }

  @Override
  public String backendType() {
    return "vxlan";
  }

  @Override
  public Set<ObjectKind> prepare() throws NetlinkException {
    NetlinkException fail = prepareFails;
    if (fail != null) {
      throw fail;
    }
    factsChanged = factsChange;
    factsChange = false;
    if (deviceBroken) {
      deviceBroken = false;
      return Set.of(ObjectKind.DEVICE);
    }
    return Set.of();
  }

  @Override
  public boolean peerFactsChanged() {
    return factsChanged;
  }

  @Override
  public boolean underlayAffected(NetlinkEvent e) {
    return e instanceof NetlinkEvent.LinkChanged c && c.link().index() == EXT && c.link().up();
  }

  @Override
  public PeerCheck peerCheck() {
    PeerCheck facts = peer -> refusedIps.contains(peer.attrs().publicIp().getHostAddress())
        ? Optional.of(new Rejection(RejectReason.PUBLIC_IP_INVALID, "refused by the test's facts"))
        : Optional.empty();
    return facts.and(peer -> {
      try {
        MacAddress m = MacAddress.parse(peer.attrs().backendData().path("VtepMAC").asText(null));
        return m.isUnicast() && !m.isZero() ? Optional.empty()
            : Optional.of(new Rejection(RejectReason.BACKEND_DATA_INVALID, "VtepMAC " + m + " is not unicast"));
      } catch (IllegalArgumentException e) {
        return Optional.of(new Rejection(RejectReason.BACKEND_DATA_INVALID, e.getMessage()));
      }
    });
  }

  @Override
  public PeerObjects map(Lease peer) {
    MacAddress mac = MacAddress.parse(peer.attrs().backendData().get("VtepMAC").asText());
    var gw = peer.subnet().address();
    return new PeerObjects(
        List.of(Neigh.permanent(DEV, gw, mac)),
        List.of(FdbEntry.permanentSelf(DEV, mac, peer.attrs().publicIp())),
        List.of(Route.via(gw, peer.subnet().prefixLength(), gw, DEV).onlink()));
  }

  @Override
  public OwnedObjects dumpOwned() throws NetlinkException {
    dumps.incrementAndGet();
    return new OwnedObjects(
        nl.routes(RouteFilter.mainOnLink(DEV)).stream().filter(this::owns).toList(),
        nl.neighs(DEV, 2).stream().filter(this::owns).toList(),
        nl.fdb(DEV).stream().filter(this::owns).toList());
  }

  @Override
  public boolean owns(Route r) {
    return r.linkIndex() == DEV && r.dst() != null && network.contains(r.dst());
  }

  @Override
  public boolean owns(Neigh n) {
    return n.linkIndex() == DEV && (n.state() & Neigh.NUD_PERMANENT) != 0;
  }

  @Override
  public boolean owns(FdbEntry e) {
    return e.linkIndex() == DEV && (e.flags() & Neigh.NTF_SELF) != 0;
  }

  @Override
  public boolean deviceAffected(NetlinkEvent e) {
    return e instanceof NetlinkEvent.LinkDeleted d && d.link().index() == DEV;
  }
}
