package io.jflannel.subnet.kube;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.client.informers.cache.ItemStore;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * The node informer's item store. Per node it keeps only the resource version and what the
 * node means to flannel: the {@link PeerReader.Reading} of its pod CIDRs and our annotations
 * (the lease it advertises, or why it is not a peer). Nothing else of a Node survives its
 * arrival. See docs/decisions/0350 and 0839.
 *
 * <p>The informer hands back what this store returns as the "old" object of an update and as
 * the final state of a delete: a bare Node with the name and resource version. Whether an
 * update changed anything flannel reads is decided here, where both readings are at hand:
 * {@link #takeChanged} tells the informer's handler (heartbeat-only updates are dropped).
 */
final class SlimNodeStore implements ItemStore<Node> {

  /**
   * @param version the resource version as a number when it is the decimal text of a
   *                non-negative long (as the API server's are: etcd revisions), else -1
   * @param text    the resource version's text when it is not such a number (it is opaque to
   *                clients), else null
   * @param changed the reading differs from the one before it and no handler has consumed
   *                that yet
   */
  private record Entry(long version, String text, PeerReader.Reading reading, boolean changed) {
    /**
     * Keeps a version such as "48213" as the number: 8 bytes instead of a String of about
     * 48, per node (decision 0855). Any other text is kept as it is, so it comes back unchanged.
     */
    static Entry of(String resourceVersion, PeerReader.Reading reading, boolean changed) {
      long v = number(resourceVersion);
      return new Entry(v, v < 0 ? resourceVersion : null, reading, changed);
    }

    Entry withChanged(boolean now) {
      return new Entry(version, text, reading, now);
    }

    String resourceVersion() {
      return version < 0 ? text : Long.toString(version);
    }
  }

  /** The value of a canonical decimal non-negative long ("0", "42"; not "042" or "+1"), else -1. */
  static long number(String text) {
    if (text == null || text.isEmpty() || text.length() > 18
        || text.length() > 1 && text.charAt(0) == '0') {
      return -1;
    }
    long v = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      v = v * 10 + (c - '0');
    }
    return v;
  }

  private final AnnotationKeys keys;
  private final PeerReader reader;
  private final ConcurrentHashMap<String, Entry> byName = new ConcurrentHashMap<>();
  /** This node's name (null: none), whose full view is kept for the {@link OwnNodeGuard}. */
  private final String ownName;
  private volatile NodeView ownView;

  SlimNodeStore(AnnotationKeys keys, PeerReader reader) {
    this(keys, reader, null);
  }

  SlimNodeStore(AnnotationKeys keys, PeerReader reader, String ownName) {
    this.keys = keys;
    this.reader = reader;
    this.ownName = ownName;
  }

  @Override
  public String getKey(Node node) {
    // Nodes are cluster-scoped: the name is the key (what the informer's default key gives too).
    return node.getMetadata().getName();
  }

  @Override
  public Node put(String key, Node node) {
    NodeView view = NodeView.of(node, keys);
    PeerReader.Reading now = reader.read(view);
    // Our own Node: any change of its pod CIDRs or of our annotations is a notice (the reading
    // alone misses e.g. a pod CIDR assigned to a Node without annotations).
    boolean ownChanged = false;
    if (key.equals(ownName)) {
      ownChanged = !view.equals(ownView);
      ownView = view;
    }
    boolean ownNotice = ownChanged;
    String version = node.getMetadata().getResourceVersion();
    Entry[] before = new Entry[1];
    byName.compute(key, (k, old) -> {
      before[0] = old;
      if (old == null) {
        return Entry.of(version, now, true);
      }
      // An equal reading keeps the instance already held (and shared with the tracker).
      boolean same = old.reading.equals(now);
      return Entry.of(version, same ? old.reading : now, old.changed || !same || ownNotice);
    });
    return before[0] == null ? null : bare(key, before[0].resourceVersion());
  }

  @Override
  public Node remove(String key) {
    if (key.equals(ownName)) {
      ownView = null;
    }
    Entry old = byName.remove(key);
    return old == null ? null : bare(key, old.resourceVersion());
  }

  @Override
  public Stream<String> keySet() {
    return byName.keySet().stream();
  }

  @Override
  public Stream<Node> values() {
    return byName.entrySet().stream().map(e -> bare(e.getKey(), e.getValue().resourceVersion()));
  }

  @Override
  public int size() {
    return byName.size();
  }

  @Override
  public Node get(String key) {
    Entry e = byName.get(key);
    return e == null ? null : bare(key, e.resourceVersion());
  }

  /** The stored objects are reduced, not full Nodes. */
  @Override
  public boolean isFullState() {
    return false;
  }

  /**
   * Whether node {@code name}'s reading changed since the last call (or since it was added),
   * clearing the mark. Called by the informer's handler for each update, after the store took
   * it: a change is reported once, by the first handler call that sees it.
   */
  boolean takeChanged(String name) {
    boolean[] was = new boolean[1];
    byName.computeIfPresent(name, (k, e) -> {
      was[0] = e.changed;
      return e.changed ? e.withChanged(false) : e;
    });
    return was[0];
  }

  /** Whether {@code name} is this node's own Node. */
  boolean isOwn(String name) {
    return name != null && name.equals(ownName);
  }

  /** Our own Node's pod CIDRs and annotations as last stored; null when absent (deleted, not listed yet). */
  NodeView ownView() {
    return ownView;
  }

  /** The current reading of node {@code name}, or null when the node is not (or no longer) known. */
  PeerReader.Reading reading(String name) {
    Entry e = byName.get(name);
    return e == null ? null : e.reading;
  }

  /** A snapshot of every known node's reading, by node name. */
  Map<String, PeerReader.Reading> readings() {
    Map<String, PeerReader.Reading> out = new HashMap<>(byName.size() * 4 / 3 + 1);
    byName.forEach((name, e) -> out.put(name, e.reading));
    return out;
  }

  /** What the informer gets back: a Node with only the name and the resource version. */
  private static Node bare(String name, String resourceVersion) {
    ObjectMeta meta = new ObjectMeta();
    meta.setName(name);
    meta.setResourceVersion(resourceVersion);
    Node n = new Node();
    n.setMetadata(meta);
    return n;
  }
}
