package io.jflannel.backend;

import io.jflannel.subnet.Lease;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Test oracle: a {@link PeerValidator} applied to a whole peer set at once, the way the
 * incremental {@link PeerBook} must agree with.
 */
final class FullValidation {
  private FullValidation() {
  }

  /**
   * @param accepted peers to program by lease key, in evaluation order
   * @param rejected refused peers by lease key, with the reason
   */
  record Outcome(Map<String, Lease> accepted, Map<String, Rejection> rejected) {
  }

  static Outcome validate(PeerValidator v, Collection<Lease> peers, Set<String> previouslyAccepted) {
    Map<String, Lease> byKey = new LinkedHashMap<>();
    for (Lease l : peers) {
      byKey.putIfAbsent(l.key(), l);
    }
    return validate(v, byKey, previouslyAccepted);
  }

  /** Peers accepted before go first (they win overlaps), then key order. */
  static Outcome validate(PeerValidator v, Map<String, Lease> peers, Set<String> previouslyAccepted) {
    List<String> order = new ArrayList<>(peers.keySet());
    order.sort(Comparator.<String, Boolean>comparing(k -> !previouslyAccepted.contains(k))
        .thenComparing(Comparator.naturalOrder()));
    PeerBook book = new PeerBook(v);
    for (String key : order) {
      book.admit(key, peers.get(key));
    }
    return new Outcome(new LinkedHashMap<>(book.accepted()), new LinkedHashMap<>(book.rejected()));
  }
}
