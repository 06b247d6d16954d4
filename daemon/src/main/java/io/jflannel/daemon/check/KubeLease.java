package io.jflannel.daemon.check;

import io.jflannel.subnet.Lease;
import io.jflannel.subnet.SubnetException;
import io.jflannel.subnet.SubnetManager;
import io.jflannel.subnet.kube.KubeSubnetManager;
import java.net.InetAddress;
import java.util.List;
import java.util.Optional;

/**
 * The own lease in the Kubernetes store: what this node's Node publishes, read once through
 * {@link KubeSubnetManager#readOwnLease} (nothing is written to the API). A class of its own so
 * the etcd check never loads the Kubernetes classes, which only the kube class path holds.
 */
final class KubeLease {
  private KubeLease() {
  }

  /**
   * Adds the own-lease findings to {@code out} and returns the published lease, or empty when
   * the Node publishes none (a FAIL saying why).
   *
   * @param subnets  the store, a {@link KubeSubnetManager}
   * @param publicIp the address this node resolves to advertise
   */
  static Optional<Lease> read(SubnetManager subnets, InetAddress publicIp, String backendType, List<Finding> out) {
    KubeSubnetManager kube = (KubeSubnetManager) subnets;
    String see = see(kube.nodeName());
    try {
      KubeSubnetManager.OwnLease own = kube.readOwnLease(publicIp);
      out.addAll(StoreFindings.published(own.published(), own.advertised(), backendType, see));
      return Optional.of(own.published());
    } catch (SubnetException e) {
      out.add(Finding.fail("own lease", e.getMessage(), see,
          "flanneld annotates its Node when it starts; start it, or fix what this line names"));
      return Optional.empty();
    }
  }

  static String see(String node) {
    return "kubectl get node " + node + " -o yaml";
  }
}
