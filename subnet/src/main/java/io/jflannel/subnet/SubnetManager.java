package io.jflannel.subnet;

import java.util.Optional;

/**
 * The store through which a node obtains its own subnet and learns every peer's:
 * the Kubernetes API (node objects) or etcd.
 */
public interface SubnetManager extends AutoCloseable {

  /** The cluster network configuration (net-conf.json or the etcd {@code <prefix>/config} key). */
  NetworkConfig networkConfig() throws SubnetException;

  /**
   * Obtains this node's lease and publishes {@code attrs} with it.
   *
   * @throws SubnetException naming the reason, e.g. {@code out of subnets}
   */
  Lease acquireLease(LeaseAttrs attrs) throws SubnetException;

  /** Extends the lease (etcd); a no-op where leases do not expire (kube). */
  Lease renewLease(Lease lease) throws SubnetException;

  /**
   * Streams peer changes until the returned watch is closed. The first batch describes every
   * current peer as {@link LeaseEvent.Added}.
   */
  Watch watchLeases(LeaseSink sink) throws SubnetException;

  /**
   * The attributes this node published before the current process started, when the store
   * keeps them (kube: the node's own annotations), so a backend can keep its VTEP MAC.
   */
  default Optional<LeaseAttrs> previousOwnAttrs() {
    return Optional.empty();
  }

  /**
   * How many times peer data in the store was skipped because it did not parse (a malformed
   * annotation, etcd key or value). Each skip is also logged at WARN.
   */
  default long malformedPeers() {
    return 0;
  }

  /** Called once the network is programmed (kube: NodeNetworkUnavailable=False). */
  default void markNetworkReady() throws SubnetException {}

  /** A running watch; closing it stops delivery. */
  interface Watch extends AutoCloseable {
    @Override
    void close();
  }

  @Override
  void close();
}
