package io.jflannel.subnet.kube;

import io.jflannel.subnet.Lease;
import io.jflannel.subnet.LeaseEvent;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last lease seen per peer node, and the events that move a subscriber from that state to
 * a node's current state. Pure and single-threaded (driven by the manager's event loop).
 *
 * <p>A peer whose subnets changed yields {@code Removed(old)} then {@code Added(new)}; a peer
 * whose attributes changed yields {@code Added(new)}; a deleted node, or one that stopped being
 * a peer or became malformed, yields {@code Removed} of its last known lease.
 */
final class PeerTracker {

  private static final Logger LOG = LoggerFactory.getLogger(PeerTracker.class);

  private final String ownName;
  private final Map<String, Lease> known = new HashMap<>();
  private final AtomicLong rejected = new AtomicLong();
  // The last problem reported per node: the same problem seen again (a resync, a heartbeat
  // update of the node) is neither warned about nor counted again.
  private final Map<String, PeerReader.Malformed> reported = new HashMap<>();

  PeerTracker(String ownName) {
    this.ownName = ownName;
  }

  /**
   * Forgets everything and describes every current peer as Added (a watch's first batch).
   *
   * @param readings each known node's reading, by node name
   */
  List<LeaseEvent> resync(Map<String, PeerReader.Reading> readings) {
    known.clear();
    List<LeaseEvent> out = new ArrayList<>();
    readings.forEach((name, r) -> out.addAll(update(name, r)));
    return out;
  }

  /**
   * The events for node {@code name} now reading as {@code r} (null: deleted).
   */
  List<LeaseEvent> update(String name, PeerReader.Reading r) {
    if (name == null || name.equals(ownName)) {
      return List.of();
    }
    Lease old = known.get(name);
    if (r == null) {
      reported.remove(name);
      known.remove(name);
      return old == null ? List.of() : List.of(new LeaseEvent.Removed(old));
    }
    if (r instanceof PeerReader.Peer p) {
      reported.remove(name);
      Lease lease = p.lease();
      if (old != null && old.equals(lease)) {
        return List.of(); // keeps the instance subscribers hold (one key String per peer)
      }
      known.put(name, lease);
      if (old == null) {
        return List.of(new LeaseEvent.Added(lease));
      }
      if (!old.sameSubnets(lease)) {
        return List.of(new LeaseEvent.Removed(old), new LeaseEvent.Added(lease));
      }
      return List.of(new LeaseEvent.Added(lease));
    }
    if (!(r instanceof PeerReader.Malformed)) {
      reported.remove(name);
    }
    if (r instanceof PeerReader.Malformed m && m.equals(reported.get(name))) {
      LOG.debug("node \"{}\" still has {} {}", name, m.field(), m.problem());
    } else if (r instanceof PeerReader.Malformed m) {
      reported.put(name, m);
      rejected.incrementAndGet();
      LOG.warn("ignoring node \"{}\": {} {}{}", name, m.field(), m.problem(),
          old == null ? "" : "; withdrawing its last known lease " + old.key());
    } else if (old != null) {
      LOG.info("node \"{}\" is no longer a flannel peer ({}); removing lease {}",
          name, ((PeerReader.NotPeer) r).why(), old.key());
    }
    known.remove(name);
    return old == null ? List.of() : List.of(new LeaseEvent.Removed(old));
  }

  /** How many distinct problems (per node) made a node be skipped. */
  long rejected() {
    return rejected.get();
  }

  /** Number of peers currently known. */
  int size() {
    return known.size();
  }
}
