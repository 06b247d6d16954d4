package io.jflannel.subnet;

import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The one view of the peers a subnet manager's watch keeps: every peer lease by
 * {@link Lease#key()}, the own lease filtered out, a second claim on a held subnet refused,
 * and the changes since the consumer's last {@link #drain()}. The manager writes it on its
 * thread; the consumer drains it on another; methods are synchronized.
 *
 * <p>Peers are put either by lease ({@link #put(Lease)}: the store is keyed by subnet, etcd) or
 * by holder ({@link #put(String, Lease)}: the store is keyed by something else, a Node name).
 * A holder whose subnet another holder already has is refused and waits: the first holder keeps
 * the subnet, the refused one's removal touches nothing of it, and it takes the subnet over
 * only once the first holder lets go.
 *
 * <p>A drain reports the net change per key since the previous drain: a peer added and removed
 * in between is not reported, one changed several times is reported once with its current
 * lease, one changed and changed back (same attributes) is not reported.
 *
 * <p>A peer keeps one key String for as long as it is in the set: a newer lease for the same
 * subnets is stored (and drained) sharing the first one's key, so the set's maps, the drained
 * changes and the backend's indexes all hold one instance per peer.
 */
public final class PeerSet {
  /** Marks a key that was absent at the previous drain. */
  private static final Object ABSENT = new Object();

  /** What a put did. */
  public enum Outcome {
    /** A new key. */
    ADDED,
    /** A known key with new attributes. */
    CHANGED,
    /** Nothing the dataplane depends on changed (a renewal). */
    UNCHANGED,
    /** The lease names the own subnet: not a peer. */
    OWN,
    /** Another holder has this subnet; this one waits until it is free. */
    DUPLICATE
  }

  private String ownKey;
  private final Map<String, Lease> byKey = new HashMap<>();
  /** For holders other than the key itself: holder → key, and key → holder. */
  private final Map<String, String> keyOfHolder = new HashMap<>();
  private final Map<String, String> holderOfKey = new HashMap<>();
  /** Holders refused as duplicates, oldest first, with the lease they claim. */
  private final Map<String, Lease> waiting = new LinkedHashMap<>();
  /** Keys touched since the last drain → the lease drained last for them, or ABSENT. */
  private final Map<String, Object> pending = new HashMap<>();
  private boolean fullPending = true;

  /** An empty set whose first drain is full. */
  public PeerSet() {
  }

  /**
   * Sets the own lease's key (null for none): a lease with this key is never a peer. A peer
   * already held under it is dropped.
   */
  public synchronized void own(String key) {
    ownKey = key;
    if (key != null && byKey.containsKey(key)) {
      String holder = holderOfKey.get(key);
      release(key);
      if (holder != null) {
        keyOfHolder.remove(holder);
      }
    }
  }

  /** Puts a lease of a store keyed by subnet (the key is its own holder). */
  public synchronized Outcome put(Lease lease) {
    if (lease.key().equals(ownKey)) {
      return Outcome.OWN;
    }
    Lease canonical = lease.sharingKeyOf(byKey.get(lease.key()));
    return store(canonical.key(), canonical);
  }

  /**
   * Puts the lease {@code holder} (a Node name) now publishes; its previous subnet, if
   * another, is let go first.
   */
  public synchronized Outcome put(String holder, Lease lease) {
    Objects.requireNonNull(holder, "holder");
    lease = lease.sharingKeyOf(byKey.get(lease.key()));
    String key = lease.key();
    String had = keyOfHolder.get(holder);
    if (had != null && !had.equals(key)) {
      keyOfHolder.remove(holder);
      holderOfKey.remove(had);
      release(had);
    }
    waiting.remove(holder);
    if (key.equals(ownKey)) {
      return Outcome.OWN;
    }
    String current = holderOfKey.get(key);
    if (current != null && !current.equals(holder) || current == null && byKey.containsKey(key)) {
      waiting.put(holder, lease);
      return Outcome.DUPLICATE;
    }
    keyOfHolder.put(holder, key);
    holderOfKey.put(key, holder);
    return store(key, lease);
  }

  /** Removes the peer with this lease key (a store keyed by subnet); false when unknown. */
  public synchronized boolean remove(String key) {
    if (!byKey.containsKey(key) || holderOfKey.containsKey(key)) {
      return false;
    }
    release(key);
    return true;
  }

  /** Removes whatever {@code holder} published; false when it held nothing. */
  public synchronized boolean removeHolder(String holder) {
    waiting.remove(holder);
    String key = keyOfHolder.remove(holder);
    if (key == null) {
      return false;
    }
    holderOfKey.remove(key);
    release(key);
    return true;
  }

  /**
   * Replaces the contents with a complete listing of a store keyed by subnet (a re-list). When
   * that changes anything, the next drain reports the difference and is full.
   *
   * @return whether anything changed (or was still waiting to be drained)
   */
  public synchronized boolean reset(Collection<Lease> listing) {
    Set<String> seen = new HashSet<>();
    for (Lease l : listing) {
      if (!l.key().equals(ownKey) && seen.add(l.key())) {
        Lease canonical = l.sharingKeyOf(byKey.get(l.key()));
        store(canonical.key(), canonical);
      }
    }
    for (Iterator<String> it = byKey.keySet().iterator(); it.hasNext(); ) {
      String key = it.next();
      if (!seen.contains(key)) {
        pending.putIfAbsent(key, byKey.get(key));
        it.remove();
      }
    }
    return markFull();
  }

  /**
   * Replaces the contents with a complete listing by holder (a Node list, in the order the
   * holders are to be judged). When that changes anything, the next drain reports the
   * difference and is full.
   *
   * @return whether anything changed (or was still waiting to be drained)
   */
  public synchronized boolean resetHolders(Map<String, Lease> listing) {
    for (String holder : Set.copyOf(keyOfHolder.keySet())) {
      if (!listing.containsKey(holder)) {
        removeHolder(holder);
      }
    }
    waiting.keySet().retainAll(listing.keySet());
    listing.forEach(this::put);
    return markFull();
  }

  private boolean markFull() {
    boolean changed = !pending.isEmpty();
    fullPending |= changed;
    return changed || fullPending;
  }

  /** The changes since the previous drain; the first drain (and the one after a reset) is full. */
  public synchronized PeerChanges drain() {
    Map<String, Lease> changed = new HashMap<>();
    Map<String, Lease> removed = new HashMap<>();
    pending.forEach((key, before) -> {
      Lease now = byKey.get(key);
      if (now == null) {
        if (before != ABSENT) {
          removed.put(key, (Lease) before);
        }
      } else if (before == ABSENT || !((Lease) before).attrs().equals(now.attrs())) {
        changed.put(key, now);
      }
    });
    pending.clear();
    boolean full = fullPending;
    fullPending = false;
    return new PeerChanges(changed, removed, full, byKey.size());
  }

  /** The current lease of the peer with this key, or null. */
  public synchronized Lease get(String key) {
    return byKey.get(key);
  }

  /** The holder of a key put by holder, or null. */
  public synchronized String holder(String key) {
    return holderOfKey.get(key);
  }

  /** The key {@code holder} holds, or null. */
  public synchronized String keyOf(String holder) {
    return keyOfHolder.get(holder);
  }

  /** How many peers the set holds. */
  public synchronized int size() {
    return byKey.size();
  }

  private Outcome store(String key, Lease lease) {
    Lease old = byKey.get(key);
    if (old != null && old.attrs().equals(lease.attrs())) {
      if (!old.equals(lease)) {
        byKey.put(key, lease); // keeps the newest expiration; nothing to report
      }
      return Outcome.UNCHANGED;
    }
    pending.putIfAbsent(key, old == null ? ABSENT : old);
    byKey.put(key, lease);
    return old == null ? Outcome.ADDED : Outcome.CHANGED;
  }

  /** Drops the key and hands it to the oldest holder waiting for it. */
  private void release(String key) {
    Lease old = byKey.remove(key);
    if (old != null) {
      pending.putIfAbsent(key, old);
    }
    for (Iterator<Map.Entry<String, Lease>> it = waiting.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<String, Lease> w = it.next();
      if (w.getValue().key().equals(key)) {
        it.remove();
        keyOfHolder.put(w.getKey(), key);
        holderOfKey.put(key, w.getKey());
        store(key, w.getValue());
        return;
      }
    }
  }
}
