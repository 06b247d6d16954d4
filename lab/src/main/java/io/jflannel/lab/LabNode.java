package io.jflannel.lab;

import java.nio.file.Path;

/**
 * One lab node: a network namespace with an {@code eth0} leg on the underlay bridge.
 *
 * @param index 1-based node number; the node is called {@code n<index>}
 * @param netns its network namespace
 * @param underlayIp its address on the underlay (192.0.2.index)
 * @param dir its private directory (subnet.env, daemon log)
 */
public record LabNode(int index, String netns, String underlayIp, Path dir) {
  /** The node's name, also its Kubernetes Node name. */
  public String name() {
    return "n" + index;
  }

  /** The subnet file this node's daemon writes. */
  public Path subnetFile() {
    return dir.resolve("subnet.env");
  }

  /** This node's daemon log. */
  public Path daemonLog() {
    return dir.resolve("flanneld.log");
  }
}
