package io.jflannel.backend.alloc;

import io.jflannel.backend.BackendListener.ObjectKind;
import io.jflannel.backend.Dataplane;
import io.jflannel.backend.OwnedObjects;
import io.jflannel.backend.PeerCheck;
import io.jflannel.backend.PeerObjects;
import io.jflannel.netlink.NetlinkEvent;
import io.jflannel.netlink.Route;
import io.jflannel.subnet.Lease;
import java.util.List;
import java.util.Set;

/**
 * A dataplane with no kernel objects: every accepted peer maps to nothing and nothing in the
 * kernel is jflannel's, so a pass (start-up, resync, repair) never writes and never deletes.
 * The shared reconciler still validates the peers, counts them and reports rejections.
 */
final class AllocDataplane implements Dataplane {
  static final String TYPE = "alloc";
  private static final PeerObjects NOTHING = new PeerObjects(List.of(), List.of(), List.of());

  @Override
  public String backendType() {
    return TYPE;
  }

  @Override
  public Set<ObjectKind> prepare() {
    return Set.of();
  }

  /** The generic rules only; the peer is never sent to, so no on-link or address rule of a backend. */
  @Override
  public PeerCheck peerCheck() {
    return PeerCheck.NONE;
  }

  @Override
  public PeerObjects map(Lease peer) {
    return NOTHING;
  }

  @Override
  public OwnedObjects dumpOwned() {
    return OwnedObjects.EMPTY;
  }

  @Override
  public boolean owns(Route r) {
    return false;
  }

  @Override
  public boolean deviceAffected(NetlinkEvent e) {
    return false;
  }
}
