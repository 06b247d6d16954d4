package io.jflannel.backend;

import io.jflannel.subnet.Lease;
import io.jflannel.subnet.PeerChanges;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * Test driver: turns successive complete peer sets into the {@link PeerChanges} a store's
 * peer set would drain (the first one full), so tests can state the peers they want level by
 * level.
 */
public final class PeerFeed {
  private static final Map<Network, PeerFeed> FEEDS = Collections.synchronizedMap(new WeakHashMap<>());

  private Map<String, Lease> last = Map.of();
  private boolean first = true;

  /** Reconciles {@code net} to exactly {@code peers} (a feed per network remembers the last set). */
  public static void reconcile(Network net, Collection<Lease> peers) {
    net.reconcile(FEEDS.computeIfAbsent(net, n -> new PeerFeed()).next(peers));
  }

  /** The same with peers by key. */
  public static void reconcile(Network net, Map<String, Lease> peers) {
    reconcile(net, peers.values());
  }

  /** The changes from the previous set to {@code peers} (the first key of a duplicate wins). */
  public synchronized PeerChanges next(Collection<Lease> peers) {
    Map<String, Lease> byKey = new LinkedHashMap<>();
    for (Lease l : peers) {
      byKey.putIfAbsent(l.key(), l);
    }
    return next(byKey);
  }

  /** The changes from the previous set to {@code byKey}. */
  public synchronized PeerChanges next(Map<String, Lease> byKey) {
    Map<String, Lease> changed = new HashMap<>();
    Map<String, Lease> removed = new HashMap<>();
    byKey.forEach((k, l) -> {
      Lease before = last.get(k);
      if (before == null || !before.attrs().equals(l.attrs())) {
        changed.put(k, l);
      }
    });
    last.forEach((k, l) -> {
      if (!byKey.containsKey(k)) {
        removed.put(k, l);
      }
    });
    last = new HashMap<>(byKey);
    boolean full = first;
    first = false;
    return new PeerChanges(changed, removed, full, byKey.size());
  }
}
