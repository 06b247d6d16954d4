package io.jflannel.subnet;

import java.net.InetAddress;
import java.time.Instant;
import java.util.Map;
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
   * When the daemon should call {@link #renewLease} for {@code lease}; {@link Instant#MAX}
   * when it never has to (kube leases and etcd reservations do not expire).
   */
  default Instant renewAt(Lease lease) {
    return Instant.MAX;
  }

  /**
   * The public address an operator stored for this node in the store, used like
   * {@code --public-ip} / {@code --public-ipv6} when that flag is absent (kube: the
   * {@code node-public-ip} / {@code node-public-ipv6} annotation). Empty when none.
   *
   * @throws SubnetException when the store cannot be read or the stored value is not an address
   *                         of that family
   */
  default Optional<InetAddress> storedPublicIp(boolean ipv6) throws SubnetException {
    return Optional.empty();
  }

  /**
   * Keeps the peers in a {@link PeerSet} until the returned watch is closed, and tells
   * {@code listener} whenever it has changes to drain. The first drain is full: it holds every
   * current peer (and comes even when there is none).
   */
  Watch watchPeers(PeerListener listener) throws SubnetException;

  /**
   * The attributes this node published before the current process started, when the store
   * keeps them (kube: the node's own annotations), so a backend can keep its VTEP MAC.
   */
  default Optional<LeaseAttrs> previousOwnAttrs() {
    return Optional.empty();
  }

  /**
   * What every current peer advertises, by holder (kube: the Node name), from a complete
   * listing of the store. A backend checks it before adopting anything from
   * {@link #previousOwnAttrs()}: a restored VTEP MAC another node already uses would cut this
   * node off (decision 0975). kube waits for the node informer's first list; empty where the
   * store does not offer it (etcd keeps no previous attributes to check).
   *
   * @throws SubnetException when the listing fails
   */
  default Map<String, LeaseAttrs> currentPeers() throws SubnetException {
    return Map.of();
  }

  /**
   * How many times peer data in the store was skipped because it did not parse (a malformed
   * annotation, etcd key or value). Each skip is also logged at WARN.
   */
  default long malformedPeers() {
    return 0;
  }

  /**
   * How many listings of the peers failed since the store started: an etcd re-list, a Node
   * list after a lost watch (see {@link ListingHealth}).
   */
  default long peerListFailures() {
    return 0;
  }

  /**
   * Why the peers may be out of date: the latest listing failed and none has succeeded since
   * (one line naming what failed). Empty while the view is current.
   */
  default Optional<String> peerListProblem() {
    return Optional.empty();
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
