package io.jflannel.subnet;

/** Told by a subnet manager's watch when its {@link PeerSet} has changes to drain. */
public interface PeerListener {

  /**
   * The set has changes (or, the first time, its complete contents) to {@link PeerSet#drain}.
   * Called on the manager's thread after each batch it applied; keep it short (hand the drain
   * to another thread). Several notifications may be answered by one drain.
   */
  void peersChanged(PeerSet peers);

  /**
   * The own lease was deleted from the store by someone else. The daemon logs it and exits
   * with status 0 (upstream behaviour).
   */
  default void ownLeaseLost(Lease lease) {}

  /**
   * The store found this node's own state taken over in a way the daemon must not run through
   * (our pod CIDR changed; our lease or annotations keep being overwritten by another writer).
   * The daemon exits 1 with {@code reason} as its one {@code flanneld: } line, so the node's
   * supervisor (the DaemonSet) starts it again on the state the store has now.
   */
  default void ownStateFailed(String reason) {}
}
