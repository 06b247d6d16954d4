package io.jflannel.backend;

import io.jflannel.subnet.IpNet;
import io.jflannel.subnet.Lease;
import io.jflannel.subnet.PeerChanges;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * The running verdict of a {@link PeerValidator} over a peer set that changes a few leases at
 * a time. It keeps the accepted peers' address ranges and exclusive claims, so a changed
 * lease is judged against them in O(log peers), and an update looks only at the keys that
 * changed (docs/decisions/0803). Not thread-safe; the owner serialises calls.
 *
 * <p>An unchanged accepted peer always keeps its place: a peer whose lease changed (or a
 * newcomer) that now collides with it is the one rejected. Among the peers judged in one update,
 * those that were accepted before go first, then key order, so the outcome does not depend on
 * the order changes arrive in.
 */
public final class PeerBook {
  private final PeerValidator validator;
  private final Map<String, Lease> accepted = new LinkedHashMap<>();
  private final Map<String, Rejection> rejected = new LinkedHashMap<>();
  /**
   * Accepted subnets as disjoint address ranges ordered by their first address. Peers passed
   * {@link PeerValidator#checkAlone}, so their subnets are IPv4 and fit a long (decision 0833);
   * IpNet computes them, the book keeps only the numbers, in the ranges themselves
   * rather than as boxed keys besides (decision 0856).
   */
  private final TreeSet<Held> ranges = new TreeSet<>(Comparator.comparingLong(Held::first));
  /** Exclusive claim → key of the accepted peer holding it. */
  private final Map<Object, String> claims = new HashMap<>();
  /** Rejected peers with their lease, so that {@link #rejudge} can judge them again. */
  private final Map<String, Lease> rejectedLeases = new HashMap<>();
  /** Rejected peers that lost to another peer, with their lease: a release may let them in. */
  private final Map<String, Lease> lostToPeer = new HashMap<>();
  /** Peers the last update rejected anew or for another reason than before. */
  private final Map<String, Lease> newlyRejected = new LinkedHashMap<>();

  /**
   * An accepted peer's range, found from its lease (its first address) when it is released:
   * no second map by key (decision 0846).
   */
  private record Held(long first, long last, IpNet subnet, String key, Object claim) {
    /** A probe for the range starting at {@code first}. */
    static Held at(long first) {
      return new Held(first, first, null, null, null);
    }
  }

  public PeerBook(PeerValidator validator) {
    this.validator = Objects.requireNonNull(validator, "validator");
  }

  /** The accepted peers by key (a live read-only view; copy it to keep it). */
  public Map<String, Lease> accepted() {
    return Collections.unmodifiableMap(accepted);
  }

  /** The rejected peers by key with the reason (a live read-only view). */
  public Map<String, Rejection> rejected() {
    return Collections.unmodifiableMap(rejected);
  }

  /**
   * Applies the changes of one drain of the peer set.
   *
   * @return the keys whose accepted lease changed: newly accepted, accepted with a new lease,
   *     or no longer accepted (removed or now rejected)
   */
  public Set<String> update(PeerChanges changes) {
    newlyRejected.clear();
    if (changes.isEmpty()) {
      return Set.of();
    }
    Set<String> dirty = new HashSet<>();
    Set<String> wasAccepted = new HashSet<>();
    Map<String, Rejection> before = new HashMap<>();
    boolean released = false;
    for (String key : changes.removed().keySet()) {
      released |= release(key, dirty);
      rejected.remove(key);
      rejectedLeases.remove(key);
      lostToPeer.remove(key);
    }
    Map<String, Lease> candidates = new HashMap<>(changes.changed());
    for (String key : candidates.keySet()) {
      if (release(key, dirty)) {
        released = true;
        wasAccepted.add(key);
      }
      Rejection r = rejected.remove(key);
      if (r != null) {
        before.put(key, r);
      }
      lostToPeer.remove(key);
    }
    if (released) {
      // what lost to a released peer may fit now
      lostToPeer.forEach((key, lease) -> {
        if (candidates.putIfAbsent(key, lease) == null) {
          before.put(key, rejected.get(key));
        }
      });
    }
    List<String> order = new ArrayList<>(candidates.keySet());
    order.sort(Comparator.<String, Boolean>comparing(k -> !wasAccepted.contains(k))
        .thenComparing(Comparator.naturalOrder()));
    for (String key : order) {
      if (admit(key, candidates.get(key))) {
        dirty.add(key);
      } else if (!rejected.get(key).equals(before.get(key))) {
        newlyRejected.put(key, candidates.get(key));
      }
    }
    return dirty;
  }

  /**
   * Judges every known peer again as if each had just changed, for when a fact the checks read
   * changed (the external interface's addresses). The accepted peers go first, so none loses
   * its place to a peer that was refused.
   *
   * @return the keys accepted before and not now, or now and not before
   */
  public Set<String> rejudge() {
    Map<String, Lease> before = new HashMap<>(accepted);
    Map<String, Lease> all = new HashMap<>(rejectedLeases);
    all.putAll(accepted);
    Set<String> dirty = new HashSet<>(update(new PeerChanges(all, Map.of(), false, all.size())));
    dirty.removeIf(k -> before.get(k) != null && before.get(k) == accepted.get(k));
    return dirty;
  }

  /** The peers the last {@link #update} rejected anew or for a new reason (to report once), by key. */
  public Map<String, Lease> newlyRejected() {
    return Collections.unmodifiableMap(newlyRejected);
  }

  /**
   * Judges one peer against the accepted ones and records the verdict.
   *
   * @return true when it was accepted
   */
  boolean admit(String key, Lease peer) {
    rejected.remove(key);
    rejectedLeases.remove(key);
    lostToPeer.remove(key);
    Rejection r = validator.checkAlone(peer);
    if (r != null) {
      rejected.put(key, r);
      rejectedLeases.put(key, peer);
      return false;
    }
    Object claimed = validator.claim(peer);
    long first = peer.subnet().firstV4(); // IPv4 after checkAlone
    long last = peer.subnet().lastV4();
    Held below = ranges.floor(Held.at(last));
    if (below != null && below.last() >= first) {
      r = new Rejection(RejectReason.SUBNET_OVERLAPS_PEER,
          "subnet " + peer.subnet() + " overlaps " + below.subnet() + " of peer " + below.key());
    } else if (claimed != null && claims.containsKey(claimed)) {
      r = new Rejection(RejectReason.BACKEND_DATA_INVALID, claimed + " is already used by peer " + claims.get(claimed));
    }
    if (r != null) {
      rejected.put(key, r);
      rejectedLeases.put(key, peer);
      lostToPeer.put(key, peer);
      return false;
    }
    Held h = new Held(first, last, peer.subnet(), key, claimed);
    ranges.add(h);
    if (claimed != null) {
      claims.put(claimed, key);
    }
    accepted.put(key, peer);
    return true;
  }

  /** Drops an accepted peer's range and claim; true when it was accepted. */
  private boolean release(String key, Set<String> dirty) {
    Lease peer = accepted.get(key);
    if (peer == null) {
      return false;
    }
    Held h = ranges.ceiling(Held.at(peer.subnet().firstV4()));
    ranges.remove(h);
    if (h.claim() != null) {
      claims.remove(h.claim(), key);
    }
    accepted.remove(key);
    dirty.add(key);
    return true;
  }
}
