package io.jflannel.subnet.etcd;

import io.jflannel.subnet.IpNet;
import io.jflannel.subnet.Lease;
import io.jflannel.subnet.LeaseAttrs;
import io.jflannel.subnet.LeaseAttrsJson;
import io.jflannel.subnet.NetworkConfig;
import io.jflannel.subnet.SubnetEnv;
import io.jflannel.subnet.SubnetException;
import io.jflannel.subnet.etcd.EtcdRegistry.Entry;
import io.jflannel.subnet.etcd.EtcdRegistry.Granted;
import io.jflannel.subnet.etcd.EtcdRegistry.Listing;
import java.math.BigInteger;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The allocation policy of the etcd store (docs/decisions/0302): which subnet this node takes
 * and how it keeps it.
 *
 * <p>A key whose {@code PublicIP} is ours is reused (a reservation, i.e. a key without an etcd
 * lease, stays one); otherwise the subnet of the previous subnet.env when it is free; otherwise
 * a random free subnet between SubnetMin and SubnetMax. A key is created only if it does not
 * exist, so of two nodes choosing the same subnet one wins and the other chooses again.
 */
final class SubnetAllocator {
  private static final Logger LOG = LoggerFactory.getLogger(SubnetAllocator.class);
  private static final int CANDIDATES = 100;

  /**
   * The key this node holds, as it wrote it: the value, the key's creation revision (a key
   * deleted and written again by someone else has another) and the etcd lease it is on (0 for
   * a reservation).
   */
  record Held(String key, String value, long createRevision, long leaseId) {}

  private final EtcdRegistry registry;
  private final SubnetEnv previous;
  private final Random random = new SecureRandom();
  private volatile Held held;

  SubnetAllocator(EtcdRegistry registry, SubnetEnv previous) {
    this.registry = registry;
    this.previous = previous;
  }

  /** One attempt on one listing: the lease, or empty when another node changed the subnets meanwhile. */
  Optional<Lease> tryAcquire(NetworkConfig cfg, LeaseAttrs attrs, Listing listing) throws SubnetException {
    List<Entry> entries = new ArrayList<>(listing.entries());
    Entry mine = entries.stream().filter(e -> e.attrs() != null && sameNode(cfg, e.attrs(), attrs)).findFirst()
        .orElse(null);
    if (mine != null) {
      if (compatible(cfg, mine.subnets())) {
        LOG.info("Found lease (ip: {} ipv6: {}) for current IP ({}), reusing", v4(mine.subnets().subnet()),
            v6(mine.subnets().ipv6Subnet()), publicIp(cfg, attrs));
        if (mine.leaseId() == 0) {
          LOG.info("lease {} is a reservation (no TTL): kept as it is", mine.subnets());
        }
        return reuse(mine, attrs);
      }
      LOG.warn("lease {} for our address does not fit the network config any more; deleting it", mine.subnets());
      if (!registry.deleteIfUnchanged(mine.key(), mine.modRevision())) {
        return Optional.empty();
      }
      entries.remove(mine);
    }

    Set<IpNet> taken4 = new HashSet<>();
    Set<IpNet> taken6 = new HashSet<>();
    for (Entry e : entries) {
      if (e.subnets().subnet() != null) {
        taken4.add(e.subnets().subnet());
      }
      if (e.subnets().ipv6Subnet() != null) {
        taken6.add(e.subnets().ipv6Subnet());
      }
    }
    EtcdLeaseKey chosen = fromPrevious(cfg, taken4, taken6);
    if (chosen == null) {
      if (cfg.enableIpv4()) {
        LOG.info("Picking subnet in range {} ... {}", cfg.subnetMin().ip(), cfg.subnetMax().ip());
      }
      if (cfg.enableIpv6()) {
        LOG.info("Picking ipv6 subnet in range {} ... {}", cfg.ipv6SubnetMin().ip(), cfg.ipv6SubnetMax().ip());
      }
      IpNet v4 = cfg.enableIpv4() ? pick(cfg.network(), cfg.subnetMin(), cfg.subnetMax(), taken4) : null;
      IpNet v6 = cfg.enableIpv6() ? pick(cfg.ipv6Network(), cfg.ipv6SubnetMin(), cfg.ipv6SubnetMax(), taken6) : null;
      if ((cfg.enableIpv4() && v4 == null) || (cfg.enableIpv6() && v6 == null)) {
        throw new SubnetException("out of subnets");
      }
      chosen = new EtcdLeaseKey(v4, v6);
    }
    return create(chosen, attrs, publicIp(cfg, attrs));
  }

  // Upstream prints absent subnets as Go's zero values print.
  private static String v4(IpNet n) {
    return n == null ? "0.0.0.0/0" : n.toString();
  }

  private static String v6(IpNet n) {
    return n == null ? "::/0" : n.toString();
  }

  /** The address upstream names in its lease lines: the public IP of the node's main family. */
  private static String publicIp(NetworkConfig cfg, LeaseAttrs attrs) {
    java.net.InetAddress a = cfg.enableIpv4() ? attrs.publicIp() : attrs.publicIpv6();
    return a == null ? "<nil>" : io.jflannel.subnet.IpLiteral.format(a);
  }

  /** The key this node holds since the last successful acquisition, or null. */
  Held held() {
    return held;
  }

  /**
   * Moves the key to a fresh etcd lease and revokes the one it replaces. A key someone else
   * overwrote (same key, another value) gets our value back, as upstream's renewal re-puts it
   * (decision 0973).
   *
   * @throws SubnetException when the key is gone or was deleted and created again by another node
   */
  Lease renew(Lease lease) throws SubnetException {
    String key = registry.keyOf(new EtcdLeaseKey(lease.subnet(), lease.ipv6Subnet()));
    String value = LeaseAttrsJson.write(lease.attrs());
    Granted g = registry.grant();
    Optional<Long> old = registry.moveToLease(key, value, g.id());
    if (old.isEmpty()) {
      old = restoreOnRenewal(key, value, g);
    }
    if (old.isEmpty()) {
      registry.revokeQuietly(g.id());
      throw new SubnetException("cannot renew lease " + key + ": the key is gone or was created again by another node");
    }
    if (old.get() != 0 && old.get() != g.id()) {
      registry.revokeQuietly(old.get());
    }
    Held h = held;
    held = new Held(key, value, h == null ? 0 : h.createRevision(), g.id());
    return new Lease(lease.subnet(), lease.ipv6Subnet(), lease.attrs(), g.expiration());
  }

  /**
   * Puts our value back on etcd lease {@code g} when the key is still the one we created but
   * holds another value. Returns the etcd lease our key was on (to revoke), or empty.
   */
  private Optional<Long> restoreOnRenewal(String key, String value, Granted g) throws SubnetException {
    Held h = held;
    Optional<Entry> now = registry.get(key);
    if (h == null || now.isEmpty() || now.get().createRevision() != h.createRevision()) {
      return Optional.empty();
    }
    LOG.warn("etcd key {} (our lease) was overwritten by another writer ({}): an attack, or another node"
        + " configured with our subnet or public IP; restoring our value", key, OwnKeyKeeper.describe(now.get()));
    if (!registry.putIfUnchanged(key, value, now.get().modRevision(), g.id())) {
      return Optional.empty(); // changed again meanwhile: the next attempt looks again
    }
    return Optional.of(h.leaseId());
  }

  private EtcdLeaseKey fromPrevious(NetworkConfig cfg, Set<IpNet> taken4, Set<IpNet> taken6) {
    if (previous == null) {
      return null;
    }
    IpNet v4 = cfg.enableIpv4() ? previous.subnet() : null;
    IpNet v6 = cfg.enableIpv6() ? previous.ipv6Subnet() : null;
    if ((cfg.enableIpv4() && v4 == null) || (cfg.enableIpv6() && v6 == null)) {
      return null;
    }
    EtcdLeaseKey k = new EtcdLeaseKey(v4, v6);
    if (!compatible(cfg, k)) {
      LOG.error("Found previously leased subnet ({}) that is not compatible with the Etcd network config, ignoring",
          v4 != null ? v4 : v6);
      return null;
    }
    if ((v4 != null && taken4.contains(v4)) || (v6 != null && taken6.contains(v6))) {
      LOG.warn("previous subnet {} (subnet.env) is in use by another node; choosing another", k);
      return null;
    }
    LOG.info("Found previously leased subnet ({}), reusing", v4 != null ? v4 : v6);
    return k;
  }

  /** A random free subnet among the first {@value #CANDIDATES} free ones from {@code min}; null when none. */
  private IpNet pick(IpNet network, IpNet min, IpNet max, Set<IpNet> taken) {
    int len = min.prefixLength();
    BigInteger last = network.indexOf(max);
    List<IpNet> free = new ArrayList<>();
    for (BigInteger i = network.indexOf(min); i.compareTo(last) <= 0 && free.size() < CANDIDATES; i = i.add(BigInteger.ONE)) {
      IpNet s = network.subnet(len, i);
      if (!taken.contains(s)) {
        free.add(s);
      }
    }
    return free.isEmpty() ? null : free.get(random.nextInt(free.size()));
  }

  private Optional<Lease> reuse(Entry mine, LeaseAttrs attrs) throws SubnetException {
    String value = LeaseAttrsJson.write(attrs);
    EtcdLeaseKey k = mine.subnets();
    if (mine.leaseId() == 0) {
      // a reservation: keep it without TTL, only refresh what we publish
      if (!registry.putIfUnchanged(mine.key(), value, mine.modRevision(), 0)) {
        return Optional.empty();
      }
      held = new Held(mine.key(), value, mine.createRevision(), 0);
      return Optional.of(new Lease(k.subnet(), k.ipv6Subnet(), attrs, null));
    }
    Granted g = registry.grant();
    if (!registry.putIfUnchanged(mine.key(), value, mine.modRevision(), g.id())) {
      registry.revokeQuietly(g.id());
      return Optional.empty();
    }
    registry.revokeQuietly(mine.leaseId()); // superseded: its TTL would otherwise linger in etcd
    held = new Held(mine.key(), value, mine.createRevision(), g.id());
    return Optional.of(new Lease(k.subnet(), k.ipv6Subnet(), attrs, g.expiration()));
  }

  private Optional<Lease> create(EtcdLeaseKey k, LeaseAttrs attrs, String node) throws SubnetException {
    String key = registry.keyOf(k);
    String value = LeaseAttrsJson.write(attrs);
    Granted g = registry.grant();
    Optional<Long> created = registry.createIfAbsent(key, value, g.id());
    if (created.isEmpty()) {
      LOG.info("subnet {} was taken by another node first", k);
      registry.revokeQuietly(g.id());
      return Optional.empty();
    }
    // Dual stack: another node may hold one of our two subnets under a different pair. The
    // older key wins; the create above cannot see that case. A single-stack key is the subnet
    // itself, so the create already settled it and a second listing is not needed.
    boolean dualStack = k.subnet() != null && k.ipv6Subnet() != null;
    for (Entry e : dualStack ? registry.list(null).entries() : List.<Entry>of()) {
      if (e.key().equals(key) || e.createRevision() >= created.get()) {
        continue;
      }
      boolean clash = (k.subnet() != null && k.subnet().equals(e.subnets().subnet()))
          || (k.ipv6Subnet() != null && k.ipv6Subnet().equals(e.subnets().ipv6Subnet()));
      if (clash) {
        LOG.info("subnet {} overlaps the older lease {}; giving it up", k, e.subnets());
        registry.revokeQuietly(g.id()); // deletes our key with it
        return Optional.empty();
      }
    }
    LOG.info("Allocated lease (ip: {} ipv6: {}) to current node ({})", v4(k.subnet()), v6(k.ipv6Subnet()), node);
    LOG.info("acquired subnet {} until {}", k, g.expiration());
    held = new Held(key, value, created.get(), g.id());
    return Optional.of(new Lease(k.subnet(), k.ipv6Subnet(), attrs, g.expiration()));
  }

  private static boolean sameNode(NetworkConfig cfg, LeaseAttrs theirs, LeaseAttrs ours) {
    if (cfg.enableIpv4()) {
      return Objects.equals(theirs.publicIp(), ours.publicIp());
    }
    return Objects.equals(theirs.publicIpv6(), ours.publicIpv6());
  }

  /** The key's subnets match the config's families, lengths and SubnetMin..SubnetMax ranges. */
  static boolean compatible(NetworkConfig cfg, EtcdLeaseKey k) {
    if (cfg.enableIpv4() != (k.subnet() != null) || cfg.enableIpv6() != (k.ipv6Subnet() != null)) {
      return false;
    }
    if (cfg.enableIpv4() && !inRange(cfg.network(), cfg.subnetLen(), cfg.subnetMin(), cfg.subnetMax(), k.subnet())) {
      return false;
    }
    return !cfg.enableIpv6()
        || inRange(cfg.ipv6Network(), cfg.ipv6SubnetLen(), cfg.ipv6SubnetMin(), cfg.ipv6SubnetMax(), k.ipv6Subnet());
  }

  private static boolean inRange(IpNet network, int len, IpNet min, IpNet max, IpNet s) {
    if (s.prefixLength() != len || !network.contains(s)) {
      return false;
    }
    BigInteger i = network.indexOf(s);
    return i.compareTo(network.indexOf(min)) >= 0 && i.compareTo(network.indexOf(max)) <= 0;
  }
}
