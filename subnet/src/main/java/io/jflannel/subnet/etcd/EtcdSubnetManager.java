package io.jflannel.subnet.etcd;

import io.jflannel.subnet.ConfigException;
import io.jflannel.subnet.Lease;
import io.jflannel.subnet.LeaseAttrs;
import io.jflannel.subnet.ListingHealth;
import io.jflannel.subnet.NetworkConfig;
import io.jflannel.subnet.NetworkConfigParser;
import io.jflannel.subnet.PeerListener;
import io.jflannel.subnet.RestoreBudget;
import io.jflannel.subnet.SubnetEnv;
import io.jflannel.subnet.SubnetException;
import io.jflannel.subnet.SubnetManager;
import io.jflannel.subnet.etcd.EtcdRegistry.Listing;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The etcd v3 subnet manager: allocates this node's subnet under {@code <prefix>/subnets/}
 * ({@link SubnetAllocator}), keeps it alive with an etcd lease and watches every peer's lease
 * ({@link EtcdLeaseWatch}); the etcd I/O itself is {@link EtcdRegistry}'s.
 */
public final class EtcdSubnetManager implements SubnetManager {
  private static final Logger LOG = LoggerFactory.getLogger(EtcdSubnetManager.class);
  private static final int MAX_ATTEMPTS = 10;

  private final EtcdRegistry registry;
  private final SubnetAllocator allocator;
  private final List<EtcdLeaseWatch> watches = new ArrayList<>();
  private final ListingHealth listing = new ListingHealth();
  /**
   * The listing the successful {@link #acquireLease} chose from, handed to the first watch: its
   * listing reuses the parsed entries whose modification revision did not change, so start-up
   * parses every lease once, not twice (docs/decisions/0804).
   */
  private final AtomicReference<Listing> acquiredListing = new AtomicReference<>();

  private volatile NetworkConfig config;
  private volatile Lease ownLease;
  private volatile boolean closed;

  /** How often a watch is rebuilt from a fresh listing even when the stream looks healthy. */
  volatile long resyncMs = Duration.ofMinutes(5).toMillis();

  /** Test seam: runs on the watch thread between the listing (given its revision) and the watch. */
  volatile LongConsumer afterList = rev -> {};

  /**
   * Connects to etcd (lazily: nothing is sent before the first call).
   *
   * @param previous the previous subnet.env, whose subnets are preferred when free; null for none
   * @throws SubnetException when the TLS files cannot be loaded
   */
  public EtcdSubnetManager(EtcdOptions options, SubnetEnv previous) throws SubnetException {
    this.registry = new EtcdRegistry(Objects.requireNonNull(options, "options"));
    this.allocator = new SubnetAllocator(registry, previous);
  }

  public EtcdOptions options() {
    return registry.options();
  }

  /** The etcd I/O (tests set its paging seams). */
  EtcdRegistry registry() {
    return registry;
  }

  /**
   * How many versions of keys under the subnets prefix were skipped because their name or
   * value did not parse (a version met again by a later listing is not counted again).
   */
  @Override
  public long malformedPeers() {
    return registry.malformed();
  }

  @Override
  public long peerListFailures() {
    return listing.failures();
  }

  @Override
  public Optional<String> peerListProblem() {
    return listing.problem();
  }

  /** {@code renewMargin} before expiry; never for a reservation. */
  @Override
  public Instant renewAt(Lease lease) {
    if (lease.expiration() == null) {
      return Instant.MAX; // reservations never expire
    }
    return lease.expiration().minus(registry.options().renewMargin());
  }

  @Override
  public NetworkConfig networkConfig() throws SubnetException {
    NetworkConfig c = config;
    if (c != null) {
      return c;
    }
    String key = registry.configKey();
    Optional<String> json = registry.readConfig();
    if (json.isEmpty()) {
      throw new SubnetException("network config key " + key + " not found in etcd " + registry.options().endpoints());
    }
    try {
      c = NetworkConfigParser.parse(json.get());
    } catch (ConfigException e) {
      // Names where it was read: a daemon waiting for a fixed config repeats this line.
      throw new ConfigException(key + " in etcd " + registry.options().endpoints() + ": " + e.getMessage(), e);
    }
    config = c;
    return c;
  }

  @Override
  public Lease acquireLease(LeaseAttrs attrs) throws SubnetException {
    NetworkConfig cfg = networkConfig();
    if (cfg.enableIpv4() && attrs.publicIp() == null) {
      throw new SubnetException("cannot acquire an IPv4 subnet without a public IPv4 address");
    }
    if (cfg.enableIpv6() && attrs.publicIpv6() == null) {
      throw new SubnetException("cannot acquire an IPv6 subnet without a public IPv6 address");
    }
    for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      Listing listing = registry.list(null);
      Optional<Lease> got = allocator.tryAcquire(cfg, attrs, listing);
      if (got.isPresent()) {
        ownLease = got.get();
        acquiredListing.set(listing);
        return got.get();
      }
      if (attempt < MAX_ATTEMPTS) {
        LOG.info("another node changed the subnets while we chose one; retrying (attempt {} of {})",
            attempt + 1, MAX_ATTEMPTS);
      }
    }
    throw new SubnetException("could not acquire a subnet: lost " + MAX_ATTEMPTS + " races with other nodes");
  }

  /**
   * Moves the key to a fresh etcd lease of the configured TTL and revokes the one it
   * replaces. A reservation (no expiration) is returned unchanged: it never gets a TTL.
   *
   * @throws SubnetException when the key is gone or now holds another node's value
   */
  @Override
  public Lease renewLease(Lease lease) throws SubnetException {
    if (lease.expiration() == null) {
      return lease;
    }
    Lease renewed = allocator.renew(lease);
    ownLease = renewed;
    LOG.info("renewed lease {} until {}", renewed.key(), renewed.expiration());
    return renewed;
  }

  /**
   * {@inheritDoc}
   *
   * <p>Call it after {@link #acquireLease}: the lease acquired then is the one filtered from
   * the peers and whose deletion is reported through {@link PeerListener#ownLeaseLost}.
   */
  @Override
  public Watch watchPeers(PeerListener listener) throws SubnetException {
    if (closed) {
      throw new SubnetException("etcd subnet manager is closed");
    }
    EtcdLeaseWatch[] self = new EtcdLeaseWatch[1];
    EtcdLeaseWatch w = new EtcdLeaseWatch(registry, listener, ownLease, acquiredListing.getAndSet(null), resyncMs,
        afterList, () -> {
          synchronized (watches) {
            watches.remove(self[0]);
          }
        }, listing, ownLease == null ? null
            : new OwnKeyKeeper(registry, allocator, ownLease.attrs(), new RestoreBudget()));
    self[0] = w;
    synchronized (watches) {
      watches.add(w);
    }
    w.begin();
    return w;
  }

  /** A lease key {@link #releaseLeases} found for this node. */
  public record OwnKey(String key, boolean reservation) {}

  /**
   * Deletes the lease keys of this node: those whose PublicIP or PublicIPv6 {@code ours} accepts
   * (the rule the daemon uses to find its lease again). A reservation, a key without an etcd
   * lease, was put there by an operator: it is reported, never deleted. A key that changes
   * between the listing and the delete is left alone and reported as an error. With
   * {@code dryRun} nothing is deleted ({@code flanneld cleanup --release-lease}).
   *
   * @return the keys found, in listing order
   * @throws SubnetException when etcd cannot be read or written, naming the key
   */
  public List<OwnKey> releaseLeases(java.util.function.Predicate<java.net.InetAddress> ours, boolean dryRun)
      throws SubnetException {
    List<OwnKey> out = new ArrayList<>();
    for (EtcdRegistry.Entry e : registry.list(null).entries()) {
      if (e.attrs() == null || !(ours(ours, e.attrs().publicIp()) || ours(ours, e.attrs().publicIpv6()))) {
        continue;
      }
      boolean reservation = e.leaseId() == 0;
      if (!reservation && !dryRun && !registry.deleteIfUnchanged(e.key(), e.modRevision())) {
        throw new SubnetException("etcd key " + e.key() + " changed while it was being released; run again");
      }
      out.add(new OwnKey(e.key(), reservation));
    }
    return out;
  }

  private static boolean ours(java.util.function.Predicate<java.net.InetAddress> ours, java.net.InetAddress a) {
    return a != null && ours.test(a);
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    List<EtcdLeaseWatch> open;
    synchronized (watches) {
      open = new ArrayList<>(watches);
    }
    open.forEach(EtcdLeaseWatch::close);
    registry.close();
  }
}
