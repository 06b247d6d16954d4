package io.jflannel.backend;

import io.jflannel.subnet.Lease;
import io.jflannel.subnet.PeerChanges;

/** The programmed overlay of one node: its own lease and the kernel state for every peer. */
public interface Network extends AutoCloseable {

  /** This node's lease. */
  Lease lease();

  /** The MTU pods must use (written as FLANNEL_MTU). */
  int mtu();

  /**
   * Brings the kernel to the peer set after the changes of one drain: programs the added and
   * changed peers, deletes the removed ones' entries. Thread-safe; returns when the pass is done.
   * Invalid peers are rejected (logged, counted) and never programmed. Kernel failures are
   * logged, counted and retried later; they are not thrown.
   *
   * <p>An incremental pass looks only at the changed keys. A full drain (the watch's first, a
   * re-list) compares every desired object with a dump of the kernel, deleting what no peer
   * wants: call it first with a full drain, or peers left programmed by a previous run are never
   * collected. Until the first call, repair and resync leave the kernel alone.
   */
  void reconcile(PeerChanges changes);

  /** Starts event-driven repair (netlink notifications) and the slow periodic resync. */
  void start();

  /** Stops repair and resync. The dataplane is left in place so traffic keeps flowing. */
  @Override
  void close();
}
