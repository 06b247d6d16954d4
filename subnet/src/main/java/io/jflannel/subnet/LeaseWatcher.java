package io.jflannel.subnet;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The current view of the peers' leases, kept from a subnet manager's raw events. Pure: no
 * I/O and no clock, so every diff is unit-testable.
 *
 * <ul>
 *   <li>The own lease (same subnets) is never reported.</li>
 *   <li>Peers are keyed by {@link Lease#key()}; an {@link LeaseEvent.Added} for a known key
 *       with different attributes is passed on as a change, one with equal attributes
 *       (a renewal) is swallowed.</li>
 *   <li>A {@link LeaseEvent.Removed} is passed on with the last known lease, so a removal that
 *       carries only the subnet (an etcd delete) still names the peer's address and VTEP MAC.
 *       A removal of a key never seen is dropped: nothing was programmed for it.</li>
 * </ul>
 *
 * <p>Methods are synchronized so that another thread may read {@link #peers()}.
 */
public final class LeaseWatcher {
  private static final Logger LOG = LoggerFactory.getLogger(LeaseWatcher.class);

  private final Lease own;
  private final Map<String, Lease> peers = new LinkedHashMap<>();

  /**
   * @param ownLease this node's lease, filtered from every result; null filters nothing
   */
  public LeaseWatcher(Lease ownLease) {
    this.own = ownLease;
  }

  /** Folds a batch of raw events into the view and returns the events peers should act on. */
  public synchronized List<LeaseEvent> apply(List<LeaseEvent> batch) {
    List<LeaseEvent> out = new ArrayList<>();
    for (LeaseEvent e : batch) {
      Lease l = e.lease();
      if (isOwn(l)) {
        continue;
      }
      String key = l.key();
      if (e instanceof LeaseEvent.Added) {
        Lease previous = peers.get(key);
        if (previous != null && previous.equals(l)) {
          continue; // a renewal: keep the instance consumers already hold (one key String per peer)
        }
        peers.put(key, l);
        if (previous == null || !previous.attrs().equals(l.attrs())) {
          out.add(e);
        }
      } else {
        Lease previous = peers.remove(key);
        if (previous != null) {
          out.add(new LeaseEvent.Removed(previous));
        } else {
          LOG.debug("removal of unknown lease {} ignored", key);
        }
      }
    }
    return out;
  }

  /**
   * Replaces the view with a full snapshot (after a re-list) and returns the events that
   * take a consumer of the old view to the new one: removals of vanished peers first, then
   * additions of new or changed ones. Unchanged peers produce nothing.
   */
  public synchronized List<LeaseEvent> reset(Collection<Lease> snapshot) {
    Map<String, Lease> next = new LinkedHashMap<>();
    for (Lease l : snapshot) {
      if (!isOwn(l)) {
        Lease old = peers.get(l.key());
        // An equal lease keeps its old instance, the one consumers of earlier events hold.
        next.put(l.key(), old != null && old.equals(l) ? old : l);
      }
    }
    List<LeaseEvent> out = new ArrayList<>();
    for (Map.Entry<String, Lease> old : peers.entrySet()) {
      if (!next.containsKey(old.getKey())) {
        out.add(new LeaseEvent.Removed(old.getValue()));
      }
    }
    for (Map.Entry<String, Lease> n : next.entrySet()) {
      Lease old = peers.get(n.getKey());
      if (old == null || !old.attrs().equals(n.getValue().attrs())) {
        out.add(new LeaseEvent.Added(n.getValue()));
      }
    }
    peers.clear();
    peers.putAll(next);
    return out;
  }

  /** A copy of the current peers, in the order they were first seen. */
  public synchronized List<Lease> peers() {
    return List.copyOf(peers.values());
  }

  /** A copy of the current peers by lease key (saves a consumer recomputing every key). */
  public synchronized Map<String, Lease> peersByKey() {
    return Map.copyOf(peers);
  }

  /** The last known lease of the peer with this key, or null. */
  public synchronized Lease peer(String key) {
    return peers.get(key);
  }

  private boolean isOwn(Lease l) {
    return own != null && Objects.equals(own.key(), l.key());
  }
}
