package io.jflannel.backend;

import io.jflannel.subnet.Lease;
import java.util.Collection;
import java.util.Map;

/** The programmed overlay of one node: its own lease and the kernel state for every peer. */
public interface Network extends AutoCloseable {

  /** This node's lease. */
  Lease lease();

  /** The MTU pods must use (written as FLANNEL_MTU). */
  int mtu();

  /**
   * Makes the kernel match exactly this set of peers: programs missing or wrong entries,
   * deletes entries of peers not in the set. Level-triggered and thread-safe; returns when
   * the pass is done. Invalid peers are rejected (logged, counted) and never programmed.
   * Kernel failures are logged, counted and retried later; they are not thrown.
   *
   * <p>Call it first with the complete peer set (the watcher's first snapshot): peers missing
   * from it lose their entries. Until the first call, repair and resync leave the kernel alone.
   */
  void reconcile(Collection<Lease> peers);

  /**
   * The same with the peers already keyed by {@link Lease#key()} (a watcher's view), which
   * saves computing every key again on each change.
   */
  default void reconcile(Map<String, Lease> peersByKey) {
    reconcile(peersByKey.values());
  }

  /** Starts event-driven repair (netlink notifications) and the slow periodic resync. */
  void start();

  /** Stops repair and resync. The dataplane is left in place so traffic keeps flowing. */
  @Override
  void close();
}
