package io.jflannel.subnet.kube;

import io.jflannel.subnet.LeaseEvent;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Test driver: a {@link PeerTracker} fed with node views, read as the store reads them. */
final class TrackerOfViews {
  private final PeerReader reader;
  private final PeerTracker tracker;

  TrackerOfViews(String ownName, PeerReader reader) {
    this.reader = reader;
    this.tracker = new PeerTracker(ownName);
  }

  List<LeaseEvent> update(String name, NodeView view) {
    return tracker.update(name, view == null ? null : reader.read(view));
  }

  List<LeaseEvent> resync(Collection<NodeView> views) {
    Map<String, PeerReader.Reading> readings = new LinkedHashMap<>();
    views.forEach(v -> readings.put(v.name(), reader.read(v)));
    return tracker.resync(readings);
  }

  long rejected() {
    return tracker.rejected();
  }

  int size() {
    return tracker.size();
  }
}
