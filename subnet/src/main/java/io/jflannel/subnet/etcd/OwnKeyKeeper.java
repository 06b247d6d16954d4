package io.jflannel.subnet.etcd;

import io.jflannel.subnet.IpLiteral;
import io.jflannel.subnet.LeaseAttrs;
import io.jflannel.subnet.RestoreBudget;
import io.jflannel.subnet.SubnetException;
import io.jflannel.subnet.etcd.EtcdRegistry.Entry;
import io.jflannel.subnet.etcd.SubnetAllocator.Held;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Judges each version of this node's own key that the lease watch lists or watches. A version
 * with our value is ours (our own writes: acquisition, renewal, restoration). A version with
 * another value on the key we created was written by someone else, an attacker or a node
 * configured with our subnet or public IP: it is logged at WARN and our value put back, as
 * upstream's renewal would a day later; peers would meanwhile send our pods' traffic wherever
 * the other value points. A key deleted and created again (another creation revision) is no
 * longer ours. Past the {@link RestoreBudget} the overwrites are not a stray write but a
 * second writer, and the daemon stops rather than fight it (decision 0973).
 */
final class OwnKeyKeeper {
  private static final Logger LOG = LoggerFactory.getLogger(OwnKeyKeeper.class);

  /** What a version of the own key means. */
  enum Verdict {
    /** Our value (or not our key at all). */
    OURS,
    /** Someone else's value: our value was put back (or that was attempted and logged). */
    RESTORED,
    /** The key was deleted and created again by someone else: the lease is lost. */
    RECREATED,
    /** Overwritten again past the restore budget. */
    CONTESTED
  }

  private final EtcdRegistry registry;
  private final SubnetAllocator allocator;
  private final LeaseAttrs ours;
  private final RestoreBudget budget;

  OwnKeyKeeper(EtcdRegistry registry, SubnetAllocator allocator, LeaseAttrs ours, RestoreBudget budget) {
    this.registry = registry;
    this.allocator = allocator;
    this.ours = ours;
    this.budget = budget;
  }

  /** Judges {@code e}, a listed or watched version of a key (value parsed or not), restoring when needed. */
  Verdict judge(Entry e) {
    Held h = allocator.held();
    if (h == null || !h.key().equals(e.key())) {
      return Verdict.OURS;
    }
    if (e.createRevision() != h.createRevision()) {
      return Verdict.RECREATED;
    }
    if (ours.equals(e.attrs())) {
      return Verdict.OURS;
    }
    if (!budget.take(System.nanoTime())) {
      return Verdict.CONTESTED;
    }
    LOG.warn("etcd key {} (our lease) was overwritten by another writer ({}): an attack, or another node"
        + " configured with our subnet or public IP; restoring our value", e.key(), describe(e));
    try {
      if (registry.putIfUnchanged(e.key(), h.value(), e.modRevision(), h.leaseId())) {
        LOG.info("restored our value of etcd key {}", e.key());
      } else {
        LOG.info("etcd key {} changed again while we restored it; judging the next version", e.key());
      }
    } catch (SubnetException ex) {
      // e.g. our etcd lease was revoked by a renewal meanwhile: the next renewal restores it
      LOG.error("restoring our value of etcd key {} failed: {}; the next renewal tries again", e.key(),
          ex.getMessage());
    }
    return Verdict.RESTORED;
  }

  /** The line the daemon stops with when the key keeps being overwritten. */
  String contested(Entry e) {
    return "our lease " + e.key() + " keeps being overwritten by another writer (" + describe(e) + "): more than "
        + budget.max() + " times in " + budget.window().toMinutes() + " minutes; stopping instead of fighting"
        + " over the subnet (is another node configured with our subnet or public IP?)";
  }

  /** What the other writer's version says, without quoting a value that does not parse. */
  static String describe(Entry e) {
    LeaseAttrs a = e.attrs();
    if (a == null) {
      return "now a value that does not parse";
    }
    String ip = a.publicIp() != null ? IpLiteral.format(a.publicIp())
        : a.publicIpv6() != null ? IpLiteral.format(a.publicIpv6()) : "-";
    String d = "now public ip " + ip + ", backend " + a.backendType() + " " + a.backendDataJson();
    return d.length() > 160 ? d.substring(0, 157) + "..." : d;
  }
}
