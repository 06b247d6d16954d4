package io.jflannel.subnet.kube;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.informers.cache.ItemStore;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * The node informer's item store: keeps a {@link NodeView} (name, pod CIDRs, our annotations)
 * and the resource version per node instead of the whole Node. See docs/decisions/0350.
 *
 * <p>The informer hands back what this store returns as the "old" object of an update and as
 * the final state of a delete; those are minimal Nodes rebuilt from the view, which is all the
 * event handler reads.
 */
final class SlimNodeStore implements ItemStore<Node> {

  private record Entry(NodeView view, String resourceVersion) {}

  private final AnnotationKeys keys;
  private final ConcurrentHashMap<String, Entry> byName = new ConcurrentHashMap<>();

  SlimNodeStore(AnnotationKeys keys) {
    this.keys = keys;
  }

  @Override
  public String getKey(Node node) {
    // Nodes are cluster-scoped: the name is the key (what the informer's default key gives too).
    return node.getMetadata().getName();
  }

  @Override
  public Node put(String key, Node node) {
    NodeView view = NodeView.of(node, keys);
    Entry known = byName.get(key);
    if (known != null) {
      // The map keeps its first key: let the view share that name rather than the new Node's copy.
      view = view.withName(known.view.name());
    }
    Entry e = new Entry(view, node.getMetadata().getResourceVersion());
    Entry old = byName.put(key, e);
    return old == null ? null : old.view.toNode(old.resourceVersion);
  }

  @Override
  public Node remove(String key) {
    Entry old = byName.remove(key);
    return old == null ? null : old.view.toNode(old.resourceVersion);
  }

  @Override
  public Stream<String> keySet() {
    return byName.keySet().stream();
  }

  @Override
  public Stream<Node> values() {
    return byName.values().stream().map(e -> e.view.toNode(e.resourceVersion));
  }

  @Override
  public int size() {
    return byName.size();
  }

  @Override
  public Node get(String key) {
    Entry e = byName.get(key);
    return e == null ? null : e.view.toNode(e.resourceVersion);
  }

  /** The stored objects are reduced, not full Nodes. */
  @Override
  public boolean isFullState() {
    return false;
  }

  /** The current view of node {@code name}, or null when the node is not (or no longer) known. */
  NodeView view(String name) {
    Entry e = byName.get(name);
    return e == null ? null : e.view;
  }

  /** A snapshot of every known node's view. */
  Collection<NodeView> views() {
    List<NodeView> out = new java.util.ArrayList<>(byName.size());
    byName.values().forEach(e -> out.add(e.view));
    return out;
  }
}
