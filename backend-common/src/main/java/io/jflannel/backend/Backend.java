package io.jflannel.backend;

import io.jflannel.subnet.Lease;
import io.jflannel.subnet.NetworkConfig;
import io.jflannel.subnet.SubnetException;

/** A way of carrying pod traffic between nodes (vxlan, host-gw). */
public interface Backend {

  /**
   * Publishes this node's backend attributes by acquiring its lease from the subnet manager,
   * sets up the device and address the lease needs, and returns the network that programs
   * peers. Nothing is programmed for peers until {@link Network#reconcile} is called.
   *
   * @throws SubnetException  when the lease cannot be acquired
   * @throws BackendException when the options are invalid or the kernel refuses the setup
   */
  Network registerNetwork(NetworkConfig cfg) throws SubnetException, BackendException;

  /**
   * Looks at this node as {@link #registerNetwork} would leave it, for {@code flanneld check}:
   * reads the device and the facts the mapping needs, acquires nothing and changes nothing.
   *
   * @param cfg the network config
   * @param own this node's lease as the store holds it
   * @throws BackendException when the options are invalid or the backend cannot be inspected
   */
  default Inspection inspect(NetworkConfig cfg, Lease own) throws BackendException {
    throw new BackendException("this backend cannot be inspected");
  }
}
