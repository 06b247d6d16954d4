package io.jflannel.subnet.kube;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeSpec;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.jflannel.subnet.CommonValues;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The part of a Node that flannel reads: its name, its pod CIDRs and the annotations under
 * our prefix, extracted from an arriving Node for {@link PeerReader} (which keeps only the
 * lease it advertises). Everything else (status, images, managed fields, other annotations)
 * is never copied.
 *
 * @param name        node name
 * @param podCidrs    {@code spec.podCIDRs}, or {@code [spec.podCIDR]} when only that is set; may be empty
 * @param annotations annotations whose key starts with our prefix
 */
record NodeView(String name, List<String> podCidrs, Map<String, String> annotations) {

  NodeView {
    podCidrs = List.copyOf(podCidrs);
    annotations = Map.copyOf(annotations);
  }

  /** Extracts the view of {@code node}, keeping only annotations that start with {@code prefix}. */
  static NodeView of(Node node, AnnotationKeys keys) {
    ObjectMeta meta = node.getMetadata();
    String name = meta == null ? null : meta.getName();
    List<String> cidrs = List.of();
    NodeSpec spec = node.getSpec();
    if (spec != null) {
      if (spec.getPodCIDRs() != null && !spec.getPodCIDRs().isEmpty()) {
        cidrs = spec.getPodCIDRs().stream().filter(c -> c != null && !c.isBlank()).toList();
      } else if (spec.getPodCIDR() != null && !spec.getPodCIDR().isBlank()) {
        cidrs = List.of(spec.getPodCIDR());
      }
    }
    Map<String, String> ours = new TreeMap<>();
    if (meta != null && meta.getAnnotations() != null) {
      meta.getAnnotations().forEach((k, v) -> {
        if (k != null && v != null && k.startsWith(keys.prefix())) {
          ours.put(k, CommonValues.shared(v));
        }
      });
    }
    return new NodeView(name, cidrs, ours);
  }

  /** The annotation value, or null. */
  String annotation(String key) {
    return annotations.get(key);
  }
}
