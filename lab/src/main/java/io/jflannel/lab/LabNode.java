package io.jflannel.lab;

import java.nio.file.Path;

/**
 * One lab node: a network namespace with an {@code eth0} leg on the underlay bridge.
 *
 * @param index 1-based node number; the node is called {@code n<index>}
 * @param netns its network namespace
 * @param underlayIp its address on the underlay (192.0.2.index)
 * @param dir its private directory: the daemon log, and the node's own files at the paths a
 *     real node has them under its root ({@code run/flannel/subnet.env},
 *     {@code etc/cni/net.d/}, ...), which a daemon run from the image sees mounted at those paths
 */
public record LabNode(int index, String netns, String underlayIp, Path dir) {
  /** The node's name, also its Kubernetes Node name. */
  public String name() {
    return "n" + index;
  }

  /** Where a path of the node's file system lives, e.g. {@code /run/flannel} under {@link #dir}. */
  public Path hostPath(String absolute) {
    if (!absolute.startsWith("/")) {
      throw new IllegalArgumentException("not an absolute path: " + absolute);
    }
    return dir.resolve(absolute.substring(1));
  }

  /** The subnet file this node's daemon writes: the node's {@code /run/flannel/subnet.env}. */
  public Path subnetFile() {
    return hostPath("/run/flannel/subnet.env");
  }

  /** This node's daemon log. */
  public Path daemonLog() {
    return dir.resolve("flanneld.log");
  }
}
