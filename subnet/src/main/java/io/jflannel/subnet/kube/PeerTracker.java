package io.jflannel.subnet.kube;

import io.jflannel.subnet.Lease;
import io.jflannel.subnet.PeerSet;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns each Node's reading into the kube store's {@link PeerSet}, whose holders are Node names:
 * a peer's lease is put under its name, a deleted Node, one that stopped being a peer or became
 * malformed lets its subnet go. Single-threaded (driven by the manager's event loop).
 *
 * <p>Refused and counted, with one WARN per problem and node: a malformed Node; a Node whose
 * podCIDR another Node already holds (the first holder keeps it, decision 0951); a Node whose
 * podCIDR is this node's own.
 */
final class PeerTracker {

  private static final Logger LOG = LoggerFactory.getLogger(PeerTracker.class);

  private final String ownName;
  private final PeerSet peers;
  private final AtomicLong rejected = new AtomicLong();
  // The last problem reported per node: the same problem seen again (a resync, a heartbeat
  // update of the node) is neither warned about nor counted again.
  private final Map<String, PeerReader.Malformed> reported = new HashMap<>();

  PeerTracker(String ownName, PeerSet peers) {
    this.ownName = ownName;
    this.peers = peers;
  }

  /** The set this tracker writes. */
  PeerSet peers() {
    return peers;
  }

  /**
   * Takes the set to a complete listing of readings by node name (a watch's first batch, a
   * re-list). Names are judged in order, so every node of the cluster that starts from a
   * listing agrees which of two Nodes claiming one subnet holds it.
   *
   * @return whether the set changed (or has its first drain to give)
   */
  boolean resync(Map<String, PeerReader.Reading> readings) {
    Map<String, Lease> listing = new java.util.LinkedHashMap<>();
    new TreeMap<>(readings).forEach((name, r) -> {
      Lease l = admissible(name, r);
      if (l != null) {
        listing.put(name, l);
      }
    });
    boolean changed = peers.resetHolders(listing);
    listing.forEach((name, l) -> judge(name, l, peers.holder(l.key())));
    return changed;
  }

  /**
   * Applies node {@code name} now reading as {@code r} (null: deleted).
   *
   * @return whether the set changed
   */
  boolean update(String name, PeerReader.Reading r) {
    if (name == null || name.equals(ownName)) {
      return false;
    }
    Lease l = admissible(name, r);
    if (l == null) {
      if (r == null) {
        reported.remove(name);
      }
      return peers.removeHolder(name);
    }
    String had = peers.keyOf(name);
    PeerSet.Outcome o = peers.put(name, l);
    judge(name, l, peers.holder(l.key()));
    // A refused claim changes no peer, unless it let the node's previous subnet go.
    return o == PeerSet.Outcome.ADDED || o == PeerSet.Outcome.CHANGED || had != null && !had.equals(l.key());
  }

  /** The lease of a peer reading, or null (logged, counted) for anything else. */
  private Lease admissible(String name, PeerReader.Reading r) {
    if (name == null || name.equals(ownName) || r == null) {
      return null;
    }
    if (r instanceof PeerReader.Peer p) {
      return p.lease();
    }
    String key = peers.keyOf(name);
    Lease old = key == null ? null : peers.get(key);
    if (r instanceof PeerReader.Malformed m) {
      report(name, m, old == null ? "" : "; withdrawing its last known lease " + old.key());
    } else {
      reported.remove(name);
      if (old != null) {
        LOG.info("node \"{}\" is no longer a flannel peer ({}); removing lease {}",
            name, ((PeerReader.NotPeer) r).why(), old.key());
      }
    }
    return null;
  }

  /** After a put: a refusal is reported once; an accepted peer clears its report. */
  private void judge(String name, Lease l, String holder) {
    if (name.equals(holder)) {
      reported.remove(name);
    } else if (holder == null && peers.get(l.key()) == null) {
      report(name, new PeerReader.Malformed("podCIDRs", "claim this node's own subnet " + l.key()), "");
    } else if (holder != null) {
      report(name, new PeerReader.Malformed("podCIDRs", "claim subnet " + l.key() + ", which node \"" + holder
          + "\" holds"), "; refused until that node lets it go");
    }
  }

  private void report(String name, PeerReader.Malformed m, String suffix) {
    if (m.equals(reported.get(name))) {
      LOG.debug("node \"{}\" still has {} {}", name, m.field(), m.problem());
      return;
    }
    reported.put(name, m);
    rejected.incrementAndGet();
    LOG.warn("ignoring node \"{}\": {} {}{}", name, m.field(), m.problem(), suffix);
  }

  /** How many distinct problems (per node) made a node be skipped. */
  long rejected() {
    return rejected.get();
  }

  /** Number of peers currently held. */
  int size() {
    return peers.size();
  }
}
