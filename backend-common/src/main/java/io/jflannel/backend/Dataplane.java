package io.jflannel.backend;

import io.jflannel.backend.BackendListener.ObjectKind;
import io.jflannel.netlink.FdbEntry;
import io.jflannel.netlink.Neigh;
import io.jflannel.netlink.NetlinkEvent;
import io.jflannel.netlink.NetlinkException;
import io.jflannel.netlink.Route;
import io.jflannel.subnet.Lease;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The backend-specific half of a {@link ReconcilingNetwork}: which kernel objects a peer
 * needs, which kernel objects the backend owns, and the device it keeps alive. Everything
 * generic (validation, diff, batches, undo, repair, resync, metrics) is in the network.
 *
 * <p>Called only from the network's pass, under its lock; {@link #deviceAffected} and the
 * {@code owns} predicates are also called from the notification thread and must only read
 * volatile state.
 */
public interface Dataplane {

  /** The backend type peers must publish ({@code vxlan}, {@code host-gw}). */
  String backendType();

  /**
   * Start of every pass: refreshes facts the mapping depends on (device index, connected
   * networks of the external interface) and repairs the device when it was deleted,
   * changed, set down or lost its address.
   *
   * @return the kinds of objects it had to repair, empty when all was well
   */
  Set<ObjectKind> prepare() throws NetlinkException;

  /**
   * Whether a {@link #prepare} since the last call changed a fact that {@link #peerCheck} or
   * {@link #map} read, such as the external interface's index or addresses
   * ({@link Underlay#refresh}); the call clears it. The network then judges and maps every peer
   * again. Default: no such fact ever changes.
   */
  default boolean peerFactsChanged() {
    return false;
  }

  /**
   * The backend's own peer rule, including {@link Underlay#peerCheck} when the backend sends
   * to peers through the external interface.
   */
  PeerCheck peerCheck();

  /**
   * A value only one peer may hold (vxlan: its VTEP MAC), or null when there is none. The
   * value's {@code equals} decides a clash and its {@code toString} names it in the rejection
   * ({@link Claim}).
   */
  default Function<Lease, ?> exclusiveClaim() {
    return null;
  }

  /** The objects an accepted peer needs, given the facts of the last {@link #prepare}. Pure. */
  PeerObjects map(Lease peer);

  /**
   * The accepted peers changed (added, changed, removed, or all of them judged again): for a
   * backend that carries packets itself instead of through kernel objects (udp), which keeps its
   * own forwarding table from this. Called within the pass, after {@link #map} has seen every
   * changed peer; {@code accepted} is the network's live map, to be read now and not kept.
   * Default: nothing.
   */
  default void acceptedPeersChanged(Map<String, Lease> accepted) {
  }

  /** The owned objects currently in the kernel. */
  OwnedObjects dumpOwned() throws NetlinkException;

  /** Whether a kernel route belongs to jflannel (deleting it when nobody wants it is safe). */
  boolean owns(Route r);

  /** Whether a kernel neighbour belongs to jflannel; none, unless the dataplane programs neighbours. */
  default boolean owns(Neigh n) {
    return false;
  }

  /** Whether a kernel FDB entry belongs to jflannel; none, unless the dataplane programs FDB entries. */
  default boolean owns(FdbEntry e) {
    return false;
  }

  /** Whether a notification shows the device (or its address) broken. */
  boolean deviceAffected(NetlinkEvent e);

  /**
   * Whether a notification shows the external interface back up, created again or with other
   * addresses ({@link Underlay#concerns}): the network runs a pass at once, since the kernel
   * drops the routes through a downed interface without a notification per route. Called for
   * every notification, before {@link #deviceAffected}. Default: never.
   */
  default boolean underlayAffected(NetlinkEvent e) {
    return false;
  }
}
