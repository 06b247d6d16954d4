package io.jflannel.subnet;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a {@link PeerSet} drain hands its consumer: the peers added or changed since the
 * previous drain (with their current lease), the peers removed since then (with the lease the
 * consumer last saw), and whether the consumer must compare everything with the kernel (the
 * first drain of a watch and every re-list).
 *
 * @param changed keys added or changed, with the current lease; the map belongs to the caller
 * @param removed keys removed, with the lease last drained for them; belongs to the caller
 * @param full    true for the first drain of a watch and after a re-list of the store
 * @param size    how many peers the set holds after these changes
 */
public record PeerChanges(Map<String, Lease> changed, Map<String, Lease> removed, boolean full, int size) {

  /** No change at all (a full drain may still be empty: a store with no peers). */
  public boolean isEmpty() {
    return changed.isEmpty() && removed.isEmpty();
  }

  /** The changes as events, removals first, each group in key order (logging and tests). */
  public List<LeaseEvent> events() {
    List<LeaseEvent> out = new ArrayList<>(changed.size() + removed.size());
    new TreeMap<>(removed).values().forEach(l -> out.add(new LeaseEvent.Removed(l)));
    new TreeMap<>(changed).values().forEach(l -> out.add(new LeaseEvent.Added(l)));
    return out;
  }
}
