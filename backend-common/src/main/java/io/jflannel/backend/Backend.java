package io.jflannel.backend;

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
}
