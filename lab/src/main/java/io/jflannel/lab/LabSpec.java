package io.jflannel.lab;

import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;

/**
 * What a lab looks like.
 *
 * @param name lab name; every namespace is {@code <name>-sw}, {@code <name>-n<K>},
 *     {@code <name>-n<K>-p<J>}, and the state file is {@code <stateDir>/<name>.json}
 * @param nodes number of nodes brought up at start (1..200)
 * @param podsPerNode pods attached to each node
 * @param backend flannel backend
 * @param store lease store
 * @param network cluster network (net-conf.json {@code Network})
 * @param flanneld the daemon launcher
 * @param cniPath directory holding the {@code bridge} and {@code host-local} plugins
 * @param javaClasspath class path of the lab code (for the kube API mock process)
 * @param stateDir where state files live
 * @param extraDaemonArgs more flanneld arguments for every node
 * @param image the container image every node's flanneld runs from (an image ID or name in
 *     podman's local storage; docs/image.md), or null to run {@code flanneld} directly
 */
public record LabSpec(String name, int nodes, int podsPerNode, LabBackend backend,
    LabStoreKind store, String network, Path flanneld, Path cniPath, String javaClasspath,
    Path stateDir, List<String> extraDaemonArgs, String image) {

  /** Default state directory. */
  public static final Path STATE_DIR = Path.of("/run/jflannel-lab");
  private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9-]{0,30}");

  public LabSpec {
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("lab name '" + name
          + "' must be 1-31 lower-case letters, digits or '-', starting with a letter");
    }
    if (nodes < 1 || nodes > 200) {
      throw new IllegalArgumentException("--nodes " + nodes + " is out of range 1..200");
    }
    if (podsPerNode < 0 || podsPerNode > 50) {
      throw new IllegalArgumentException("pods per node " + podsPerNode + " is out of range 0..50");
    }
    extraDaemonArgs = List.copyOf(extraDaemonArgs);
    if (image != null && image.isBlank()) {
      throw new IllegalArgumentException("the lab's image must be an image ID or name, not blank");
    }
  }

  /** A spec whose daemons run {@code flanneld} directly, not from an image. */
  public LabSpec(String name, int nodes, int podsPerNode, LabBackend backend, LabStoreKind store,
      String network, Path flanneld, Path cniPath, String javaClasspath, Path stateDir,
      List<String> extraDaemonArgs) {
    this(name, nodes, podsPerNode, backend, store, network, flanneld, cniPath, javaClasspath,
        stateDir, extraDaemonArgs, null);
  }

  /** A spec with the lab's defaults for everything but the given choices. */
  public static LabSpec of(String name, int nodes, LabBackend backend, LabStoreKind store,
      Path flanneld, String javaClasspath) {
    return new LabSpec(name, nodes, 2, backend, store, "10.244.0.0/16", flanneld,
        Path.of("/usr/lib/cni"), javaClasspath, STATE_DIR, List.of());
  }

  /** Same spec with another state directory. */
  public LabSpec withStateDir(Path dir) {
    return new LabSpec(name, nodes, podsPerNode, backend, store, network, flanneld, cniPath,
        javaClasspath, dir, extraDaemonArgs, image);
  }

  /** Same spec with another number of pods per node. */
  public LabSpec withPodsPerNode(int pods) {
    return new LabSpec(name, nodes, pods, backend, store, network, flanneld, cniPath,
        javaClasspath, stateDir, extraDaemonArgs, image);
  }

  /** Same spec with every node's flanneld run from container image {@code ref}. */
  public LabSpec withImage(String ref) {
    return new LabSpec(name, nodes, podsPerNode, backend, store, network, flanneld, cniPath,
        javaClasspath, stateDir, extraDaemonArgs, ref);
  }

  /** Whether the daemons run from a container image. */
  public boolean fromImage() {
    return image != null;
  }

  /** Prefix shared by every namespace of this lab. */
  public String namespacePrefix() {
    return name + "-";
  }

  /** The switch namespace. */
  public String switchNetns() {
    return name + "-sw";
  }

  /** The namespace of node {@code index}. */
  public String nodeNetns(int index) {
    return name + "-n" + index;
  }

  /** The namespace of pod {@code pod} on node {@code index}. */
  public String podNetns(int index, int pod) {
    return name + "-n" + index + "-p" + pod;
  }

  /** The network config the lab publishes to the store. */
  public String netConfJson() {
    return "{\"Network\":\"" + network + "\",\"Backend\":" + backend.backendJson() + "}";
  }
}
