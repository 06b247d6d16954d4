package io.jflannel.backend;

import io.jflannel.netlink.NetlinkException;
import io.jflannel.subnet.Lease;
import io.jflannel.subnet.PeerChanges;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A full reconcile pass planned and not run: what {@code flanneld check} compares the kernel
 * with. It goes through the same {@link PeerBook}, {@link Dataplane#map} and
 * {@link ReconcilePlanner} as {@link ReconcilingNetwork}'s full pass, so the check and the
 * daemon agree on what is correct.
 *
 * @param accepted the accepted peers by key, in key order
 * @param rejected the refused peers with the reason
 * @param desired  the objects of each accepted peer
 * @param owned    the owned kernel objects the plan was made against
 * @param plan     what a pass would change
 */
public record DryPass(Map<String, Lease> accepted, Map<String, Rejection> rejected,
                      Map<String, PeerObjects> desired, OwnedObjects owned, ReconcilePlan plan) {

  /** Judges, maps and plans; reads the kernel (the owned dump), changes nothing. */
  static DryPass plan(PeerValidator validator, Dataplane dataplane, Map<String, Lease> peers)
      throws NetlinkException {
    PeerBook book = new PeerBook(validator);
    book.update(new PeerChanges(new LinkedHashMap<>(peers), Map.of(), true, peers.size()));
    List<String> keys = new ArrayList<>(book.accepted().keySet());
    keys.sort(null); // as the network's remap: key order
    Map<String, Lease> accepted = new LinkedHashMap<>();
    Map<String, PeerObjects> desired = new LinkedHashMap<>();
    for (String k : keys) {
      Lease l = book.accepted().get(k);
      accepted.put(k, l);
      desired.put(k, dataplane.map(l));
    }
    OwnedObjects owned = dataplane.dumpOwned();
    return new DryPass(Collections.unmodifiableMap(accepted),
        Collections.unmodifiableMap(new LinkedHashMap<>(book.rejected())), Collections.unmodifiableMap(desired), owned,
        ReconcilePlanner.plan(desired, owned));
  }
}
