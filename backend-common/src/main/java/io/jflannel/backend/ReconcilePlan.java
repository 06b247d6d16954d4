package io.jflannel.backend;

import io.jflannel.netlink.NetlinkOp;
import java.util.List;

/**
 * What one pass must change in the kernel.
 *
 * @param peers   per peer, the requests of each step (neighbours, FDB, routes) that are needed
 * @param deletes stale objects to delete: routes first, then FDB entries, then neighbours
 */
public record ReconcilePlan(List<PeerSteps> peers, List<NetlinkOp> deletes) {
  public ReconcilePlan {
    peers = List.copyOf(peers);
    deletes = List.copyOf(deletes);
  }

  /**
   * The requests one peer needs, by step.
   *
   * @param peer   lease key
   * @param neighs neighbour replaces (step 1)
   * @param fdb    FDB replaces (step 2)
   * @param routes route replaces (step 3)
   */
  public record PeerSteps(String peer, List<NetlinkOp> neighs, List<NetlinkOp> fdb, List<NetlinkOp> routes) {
    public PeerSteps {
      neighs = List.copyOf(neighs);
      fdb = List.copyOf(fdb);
      routes = List.copyOf(routes);
    }

    /** Number of requests of this peer. */
    public int size() {
      return neighs.size() + fdb.size() + routes.size();
    }
  }

  /** True when the kernel already matches. */
  public boolean isEmpty() {
    return peers.isEmpty() && deletes.isEmpty();
  }

  /** Number of requests the plan sends (without undo). */
  public int size() {
    return deletes.size() + peers.stream().mapToInt(PeerSteps::size).sum();
  }
}
