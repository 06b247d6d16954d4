package io.jflannel.subnet.kube;

import io.jflannel.subnet.LeaseEvent;
import io.jflannel.subnet.PeerSet;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Test driver: a {@link PeerTracker} fed with node views, read as the store reads them; each
 * step returns what a drain of its peer set then reports, as events.
 */
final class TrackerOfViews {
  private final PeerReader reader;
  private final PeerSet peers = new PeerSet();
  private final PeerTracker tracker;

  TrackerOfViews(String ownName, PeerReader reader) {
    this.reader = reader;
    this.tracker = new PeerTracker(ownName, peers);
  }

  /** Makes {@code key} the own lease's key. */
  void own(String key) {
    peers.own(key);
  }

  List<LeaseEvent> update(String name, NodeView view) {
    tracker.update(name, view == null ? null : reader.read(view));
    return peers.drain().events();
  }

  List<LeaseEvent> resync(Collection<NodeView> views) {
    Map<String, PeerReader.Reading> readings = new LinkedHashMap<>();
    views.forEach(v -> readings.put(v.name(), reader.read(v)));
    tracker.resync(readings);
    return peers.drain().events();
  }

  long rejected() {
    return tracker.rejected();
  }

  int size() {
    return tracker.size();
  }
}
