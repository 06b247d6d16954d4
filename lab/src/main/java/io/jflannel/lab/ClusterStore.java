package io.jflannel.lab;

import java.util.List;
import java.util.Map;

/**
 * The lab's lease store, running inside the switch namespace: a real etcd, or the
 * Kubernetes API mock. It knows how daemons reach it and how a node joins and leaves.
 */
public sealed interface ClusterStore extends AutoCloseable permits EtcdStore, KubeStore {
  /** Starts the store and publishes the network config; returns once it answers. */
  void start();

  /** Extra flanneld arguments for {@code node}. */
  List<String> daemonArgs(LabNode node);

  /** Extra environment for {@code node}'s flanneld. */
  Map<String, String> daemonEnv(LabNode node);

  /** Registers a node before its daemon starts (kube: creates the Node with its podCIDR). */
  void nodeJoining(LabNode node);

  /**
   * Removes a node from the cluster (etcd: deletes its lease key; kube: deletes the Node).
   *
   * @param subnet the node's subnet in network form, e.g. {@code 10.244.3.0/24}
   */
  void nodeLeaving(LabNode node, String subnet);

  /** The subnets the store currently holds leases or podCIDRs for, in network form. */
  List<String> subnets();

  /** A one-line description for the lab's table ("etcd http://192.0.2.254:2379"). */
  String describe();

  /** Stops the store's process. */
  @Override
  void close();
}
