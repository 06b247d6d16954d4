package io.jflannel.backend;

import io.jflannel.backend.BackendListener.ObjectKind;
import io.jflannel.netlink.BatchResult;
import io.jflannel.netlink.Errno;
import io.jflannel.netlink.Netlink;
import io.jflannel.netlink.NetlinkException;
import io.jflannel.netlink.NetlinkOp;
import io.jflannel.netlink.OpFailure;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Applies a {@link ReconcilePlan} with pipelined batches: one batch per step (all peers'
 * neighbours, then FDB entries of the peers whose neighbours went in, then their routes),
 * one batch undoing the earlier steps of peers that failed, one batch of stale deletes.
 * A handful of round trips whatever the number of peers, and a failed peer never gets a
 * later step and never stops the others.
 */
public final class PlanRunner {
  private PlanRunner() {
  }

  /**
   * What a run did.
   *
   * @param requests    requests sent (including undo)
   * @param added       objects replaced (added or fixed) that stayed, per kind
   * @param deleted     stale objects deleted (or already gone), per kind
   * @param failedPeers peers left unprogrammed, with the first error
   * @param errors      every request failure that matters (not ENOENT on delete)
   * @param staleErrors the failures among the stale deletes (also in {@code errors})
   */
  public record Outcome(int requests, Map<ObjectKind, Integer> added, Map<ObjectKind, Integer> deleted,
                        Map<String, NetlinkException> failedPeers, List<NetlinkException> errors,
                        List<NetlinkException> staleErrors) {
    public int addedTotal() {
      return added.values().stream().mapToInt(Integer::intValue).sum();
    }

    public int deletedTotal() {
      return deleted.values().stream().mapToInt(Integer::intValue).sum();
    }
  }

  /** Runs the plan; throws only when the netlink socket itself fails. */
  public static Outcome run(Netlink nl, ReconcilePlan plan) throws NetlinkException {
    return run(nl, plan, failedPeers -> { });
  }

  /**
   * Runs the plan.
   *
   * @param beforeUndo told which peers failed just before their earlier steps are undone,
   *                   so that the notifications of the undo are not mistaken for damage
   */
  public static Outcome run(Netlink nl, ReconcilePlan plan, Consumer<Set<String>> beforeUndo) throws NetlinkException {
    int requests = 0;
    Map<ObjectKind, Integer> added = new EnumMap<>(ObjectKind.class);
    Map<ObjectKind, Integer> deleted = new EnumMap<>(ObjectKind.class);
    Map<String, NetlinkException> failed = new LinkedHashMap<>();
    List<NetlinkException> errors = new ArrayList<>();
    List<NetlinkException> staleErrors = new ArrayList<>();
    Map<String, List<NetlinkOp>> done = new LinkedHashMap<>();

    List<Function<ReconcilePlan.PeerSteps, List<NetlinkOp>>> phases =
        List.of(ReconcilePlan.PeerSteps::neighs, ReconcilePlan.PeerSteps::fdb, ReconcilePlan.PeerSteps::routes);
    for (Function<ReconcilePlan.PeerSteps, List<NetlinkOp>> phase : phases) {
      List<NetlinkOp> ops = new ArrayList<>();
      List<String> owner = new ArrayList<>();
      for (ReconcilePlan.PeerSteps p : plan.peers()) {
        if (failed.containsKey(p.peer())) {
          continue;
        }
        for (NetlinkOp op : phase.apply(p)) {
          ops.add(op);
          owner.add(p.peer());
        }
      }
      if (ops.isEmpty()) {
        continue;
      }
      requests += ops.size();
      BatchResult res = nl.apply(ops);
      boolean[] bad = new boolean[ops.size()];
      for (OpFailure f : res.failures()) {
        bad[f.index()] = true;
        errors.add(f.error());
        failed.putIfAbsent(owner.get(f.index()), f.error());
      }
      for (int i = 0; i < ops.size(); i++) {
        if (!bad[i]) {
          done.computeIfAbsent(owner.get(i), k -> new ArrayList<>()).add(ops.get(i));
        }
      }
    }

    // Undo the steps a failed peer already got, latest first, so it holds nothing half-made.
    if (!failed.isEmpty()) {
      beforeUndo.accept(failed.keySet());
    }
    List<NetlinkOp> undo = new ArrayList<>();
    for (String peer : failed.keySet()) {
      List<NetlinkOp> ops = done.remove(peer);
      if (ops != null) {
        for (int i = ops.size() - 1; i >= 0; i--) {
          undo.add(inverse(ops.get(i)));
        }
      }
    }
    if (!undo.isEmpty()) {
      requests += undo.size();
      for (OpFailure f : nl.apply(undo).failures()) {
        if (!isGone(f.error())) {
          errors.add(f.error());
        }
      }
    }
    for (List<NetlinkOp> ops : done.values()) {
      ops.forEach(op -> added.merge(kind(op), 1, Integer::sum));
    }

    if (!plan.deletes().isEmpty()) {
      requests += plan.deletes().size();
      boolean[] bad = new boolean[plan.deletes().size()];
      for (OpFailure f : nl.apply(plan.deletes()).failures()) {
        // Already gone is what we wanted (e.g. an FDB entry whose dst a replace rewrote).
        if (!isGone(f.error())) {
          bad[f.index()] = true;
          errors.add(f.error());
          staleErrors.add(f.error());
        }
      }
      for (int i = 0; i < bad.length; i++) {
        if (!bad[i]) {
          deleted.merge(kind(plan.deletes().get(i)), 1, Integer::sum);
        }
      }
    }
    return new Outcome(requests, added, deleted, failed, errors, staleErrors);
  }

  /** True for "no such object" answers to a delete. */
  static boolean isGone(NetlinkException e) {
    return e.errno() == Errno.ENOENT || e.errno() == Errno.ESRCH || e.errno() == Errno.EADDRNOTAVAIL;
  }

  /** The delete that reverts a replace. */
  static NetlinkOp inverse(NetlinkOp op) {
    if (op instanceof NetlinkOp.NeighReplace n) {
      return NetlinkOp.neighDelete(n.neigh());
    }
    if (op instanceof NetlinkOp.FdbReplace f) {
      return NetlinkOp.fdbDelete(f.entry());
    }
    if (op instanceof NetlinkOp.RouteReplace r) {
      return NetlinkOp.routeDelete(r.route());
    }
    throw new IllegalArgumentException("no inverse for " + op);
  }

  /** Which kind of object a request concerns. */
  public static ObjectKind kind(NetlinkOp op) {
    if (op instanceof NetlinkOp.NeighReplace || op instanceof NetlinkOp.NeighDelete) {
      return ObjectKind.NEIGH;
    }
    if (op instanceof NetlinkOp.FdbReplace || op instanceof NetlinkOp.FdbDelete || op instanceof NetlinkOp.FdbAppend) {
      return ObjectKind.FDB;
    }
    if (op instanceof NetlinkOp.RouteReplace || op instanceof NetlinkOp.RouteDelete || op instanceof NetlinkOp.RouteAdd) {
      return ObjectKind.ROUTE;
    }
    return ObjectKind.ADDRESS;
  }
}
