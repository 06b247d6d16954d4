package io.jflannel.subnet.etcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.common.exception.CompactedException;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.PutResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import io.jflannel.subnet.ConfigException;
import io.jflannel.subnet.IpLiteral;
import io.jflannel.subnet.IpNet;
import io.jflannel.subnet.Lease;
import io.jflannel.subnet.LeaseAttrs;
import io.jflannel.subnet.LeaseAttrsJson;
import io.jflannel.subnet.LeaseEvent;
import io.jflannel.subnet.LeaseSink;
import io.jflannel.subnet.LeaseWatcher;
import io.jflannel.subnet.NetworkConfig;
import io.jflannel.subnet.NetworkConfigParser;
import io.jflannel.subnet.SubnetEnv;
import io.jflannel.subnet.SubnetException;
import java.io.File;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongConsumer;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The etcd v3 subnet manager: allocates this node's subnet under {@code <prefix>/subnets/},
 * keeps it alive with an etcd lease and streams every peer's lease.
 *
 * <p>Acquisition (see docs/decisions/0302): a key whose {@code PublicIP} is ours is reused
 * (a reservation, i.e. a key without an etcd lease, stays one); otherwise the subnet of the
 * previous subnet.env when it is free; otherwise a random free subnet between SubnetMin and
 * SubnetMax. A key is created only if it does not exist (a transaction on version 0), and a
 * lost race is retried with a fresh listing.
 *
 * <p>Threads: jetcd's own (a bounded pool of two, plus its gRPC event loops) and one
 * {@code jfl-etcd-watch} thread that turns watch responses into sink calls, so a slow sink
 * never blocks the gRPC threads.
 */
public final class EtcdSubnetManager implements io.jflannel.subnet.SubnetManager {
  private static final Logger LOG = LoggerFactory.getLogger(EtcdSubnetManager.class);
  private static final int MAX_ATTEMPTS = 10;
  private static final int CANDIDATES = 100;
  private static final long BACKOFF_MIN_MS = 500;
  private static final long BACKOFF_MAX_MS = 30_000;
  private static final LeaseAttrs NO_ATTRS = new LeaseAttrs(null, null, null, null, null);

  private final EtcdOptions options;
  private final SubnetEnv previous;
  private final Client client;
  private final ExecutorService clientExecutor;
  private final ScheduledExecutorService watchExecutor;
  private final Random random = new SecureRandom();
  private final List<LeaseWatch> watches = new ArrayList<>();
  private final java.util.concurrent.atomic.AtomicLong malformed = new java.util.concurrent.atomic.AtomicLong();
  // Bad key versions already reported ("key@modRevision"): relistings do not warn or count again.
  private final Set<String> reportedBad = java.util.concurrent.ConcurrentHashMap.newKeySet();

  private volatile NetworkConfig config;
  private volatile Lease ownLease;
  private volatile boolean closed;

  /**
   * How often a watch is rebuilt from a fresh listing even when the stream looks healthy: a
   * safety net against a stream that died silently (the listing is diffed, so a healthy
   * watch produces no events).
   */
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
    this.options = Objects.requireNonNull(options, "options");
    this.previous = previous;
    this.clientExecutor = Executors.newFixedThreadPool(2, daemonThreads("jfl-etcd-client"));
    this.watchExecutor = Executors.newSingleThreadScheduledExecutor(daemonThreads("jfl-etcd-watch"));
    ClientBuilder b = Client.builder()
        .endpoints(options.endpoints().toArray(String[]::new))
        .executorService(clientExecutor)
        .connectTimeout(options.opTimeout())
        .retryMaxDuration(options.opTimeout());
    if (!options.username().isEmpty()) {
      b.user(bytes(options.username())).password(bytes(options.password()));
    }
    if (options.tls()) {
      try {
        b.sslContext(ssl -> {
          ssl.keyManager(new File(options.certFile()), new File(options.keyFile()));
          if (!options.caFile().isEmpty()) {
            ssl.trustManager(new File(options.caFile()));
          }
        });
      } catch (SSLException | RuntimeException e) {
        shutdownExecutors();
        throw new SubnetException("cannot load etcd TLS files (key " + options.keyFile() + ", cert "
            + options.certFile() + ", ca " + options.caFile() + "): " + e.getMessage(), e);
      }
    }
    this.client = b.build();
  }

  public EtcdOptions options() {
    return options;
  }

  /**
   * How many versions of keys under the subnets prefix were skipped because their name or
   * value did not parse (a version met again by a later listing is not counted again).
   */
  @Override
  public long malformedPeers() {
    return malformed.get();
  }

  /** When the daemon should call {@link #renewLease}: {@code renewMargin} before expiry. */
  public Instant renewAt(Lease lease) {
    if (lease.expiration() == null) {
      return Instant.MAX; // reservations never expire
    }
    return lease.expiration().minus(options.renewMargin());
  }

  private String configKey() {
    return options.prefix() + "/config";
  }

  private String subnetsPrefix() {
    return options.prefix() + "/subnets/";
  }

  private String keyOf(EtcdLeaseKey k) {
    return subnetsPrefix() + k;
  }

  @Override
  public NetworkConfig networkConfig() throws SubnetException {
    NetworkConfig c = config;
    if (c != null) {
      return c;
    }
    GetResponse r = await(client.getKVClient().get(bytes(configKey())), "read " + configKey());
    if (r.getKvs().isEmpty()) {
      throw new SubnetException("network config key " + configKey() + " not found in etcd " + options.endpoints());
    }
    try {
      c = NetworkConfigParser.parse(text(r.getKvs().get(0).getValue()));
    } catch (ConfigException e) {
      throw new ConfigException(configKey() + ": " + e.getMessage(), e);
    }
    config = c;
    return c;
  }

  // ---------------------------------------------------------------------------------------
  // acquire

  /** One key under the subnets prefix as listed. */
  private record Entry(String key, EtcdLeaseKey subnets, LeaseAttrs attrs, long leaseId, long modRevision,
      long createRevision) {}

  private record Listing(List<Entry> entries, long revision) {}

  /**
   * The listing the successful {@link #acquireLease} chose from, handed to the first watch:
   * its listing reuses the parsed entries whose modification revision did not change, so
   * start-up parses every lease once, not twice (docs/decisions/0804).
   */
  private final java.util.concurrent.atomic.AtomicReference<Listing> acquiredListing =
      new java.util.concurrent.atomic.AtomicReference<>();

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
      Listing listing = list();
      Optional<Lease> got = tryAcquire(cfg, attrs, listing);
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

  private Optional<Lease> tryAcquire(NetworkConfig cfg, LeaseAttrs attrs, Listing listing) throws SubnetException {
    List<Entry> entries = new ArrayList<>(listing.entries());
    Entry mine = entries.stream().filter(e -> e.attrs() != null && sameNode(cfg, e.attrs(), attrs)).findFirst()
        .orElse(null);
    if (mine != null) {
      if (compatible(cfg, mine.subnets())) {
        LOG.info("found lease {} for our address, reusing it{}", mine.subnets(),
            mine.leaseId() == 0 ? " (a reservation)" : "");
        return reuse(mine, attrs);
      }
      LOG.warn("lease {} for our address does not fit the network config any more; deleting it", mine.subnets());
      TxnResponse del = await(client.getKVClient().txn()
          .If(new Cmp(bytes(mine.key()), Cmp.Op.EQUAL, CmpTarget.modRevision(mine.modRevision())))
          .Then(Op.delete(bytes(mine.key()), DeleteOption.DEFAULT))
          .commit(), "delete " + mine.key());
      if (!del.isSucceeded()) {
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
      IpNet v4 = cfg.enableIpv4() ? pick(cfg.network(), cfg.subnetMin(), cfg.subnetMax(), taken4) : null;
      IpNet v6 = cfg.enableIpv6() ? pick(cfg.ipv6Network(), cfg.ipv6SubnetMin(), cfg.ipv6SubnetMax(), taken6) : null;
      if ((cfg.enableIpv4() && v4 == null) || (cfg.enableIpv6() && v6 == null)) {
        throw new SubnetException("out of subnets");
      }
      chosen = new EtcdLeaseKey(v4, v6);
    }
    return create(chosen, attrs, taken4, taken6);
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
      LOG.info("previous subnet {} (subnet.env) does not fit the network config; choosing another", k);
      return null;
    }
    if ((v4 != null && taken4.contains(v4)) || (v6 != null && taken6.contains(v6))) {
      LOG.warn("previous subnet {} (subnet.env) is in use by another node; choosing another", k);
      return null;
    }
    LOG.info("reusing previous subnet {} from subnet.env", k);
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
    ByteSequence key = bytes(mine.key());
    ByteSequence value = bytes(LeaseAttrsJson.write(attrs));
    Cmp unchanged = new Cmp(key, Cmp.Op.EQUAL, CmpTarget.modRevision(mine.modRevision()));
    EtcdLeaseKey k = mine.subnets();
    if (mine.leaseId() == 0) {
      // a reservation: keep it without TTL, only refresh what we publish
      TxnResponse r = await(client.getKVClient().txn().If(unchanged)
          .Then(Op.put(key, value, PutOption.DEFAULT)).commit(), "update reservation " + mine.key());
      return r.isSucceeded() ? Optional.of(new Lease(k.subnet(), k.ipv6Subnet(), attrs, null)) : Optional.empty();
    }
    Granted g = grant();
    TxnResponse r = await(client.getKVClient().txn().If(unchanged)
        .Then(Op.put(key, value, PutOption.builder().withLeaseId(g.id()).build())).commit(), "update " + mine.key());
    if (!r.isSucceeded()) {
      revokeQuietly(g.id());
      return Optional.empty();
    }
    revokeQuietly(mine.leaseId()); // superseded: its TTL would otherwise linger in etcd
    return Optional.of(new Lease(k.subnet(), k.ipv6Subnet(), attrs, g.expiration()));
  }

  private Optional<Lease> create(EtcdLeaseKey k, LeaseAttrs attrs, Set<IpNet> taken4, Set<IpNet> taken6)
      throws SubnetException {
    String keyText = keyOf(k);
    ByteSequence key = bytes(keyText);
    Granted g = grant();
    TxnResponse r = await(client.getKVClient().txn()
        .If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.version(0)))
        .Then(Op.put(key, bytes(LeaseAttrsJson.write(attrs)), PutOption.builder().withLeaseId(g.id()).build()))
        .commit(), "create " + keyText);
    if (!r.isSucceeded()) {
      LOG.info("subnet {} was taken by another node first", k);
      revokeQuietly(g.id());
      return Optional.empty();
    }
    long created = r.getHeader().getRevision();
    // Dual stack: another node may hold one of our two subnets under a different pair. The
    // older key wins; the txn above cannot see that case. A single-stack key is the subnet
    // itself, so the txn already settled it and the second listing (N leases parsed again
    // at start-up) is skipped.
    boolean dualStack = k.subnet() != null && k.ipv6Subnet() != null;
    for (Entry e : dualStack ? list().entries() : List.<Entry>of()) {
      if (e.key().equals(keyText) || e.createRevision() >= created) {
        continue;
      }
      boolean clash = (k.subnet() != null && k.subnet().equals(e.subnets().subnet()))
          || (k.ipv6Subnet() != null && k.ipv6Subnet().equals(e.subnets().ipv6Subnet()));
      if (clash) {
        LOG.info("subnet {} overlaps the older lease {}; giving it up", k, e.subnets());
        revokeQuietly(g.id()); // deletes our key with it
        return Optional.empty();
      }
    }
    LOG.info("acquired subnet {} until {}", k, g.expiration());
    return Optional.of(new Lease(k.subnet(), k.ipv6Subnet(), attrs, g.expiration()));
  }

  private boolean sameNode(NetworkConfig cfg, LeaseAttrs theirs, LeaseAttrs ours) {
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

  // ---------------------------------------------------------------------------------------
  // renew

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
    EtcdLeaseKey k = new EtcdLeaseKey(lease.subnet(), lease.ipv6Subnet());
    String keyText = keyOf(k);
    ByteSequence key = bytes(keyText);
    ByteSequence value = bytes(LeaseAttrsJson.write(lease.attrs()));
    Granted g = grant();
    TxnResponse r = await(client.getKVClient().txn()
        .If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.value(value)))
        .Then(Op.put(key, value, PutOption.builder().withLeaseId(g.id()).withPrevKV().build()))
        .commit(), "renew " + keyText);
    if (!r.isSucceeded()) {
      revokeQuietly(g.id());
      throw new SubnetException("cannot renew lease " + keyText + ": the key is gone or now names another node");
    }
    List<PutResponse> puts = r.getPutResponses();
    if (!puts.isEmpty() && puts.get(0).hasPrevKv()) {
      long old = puts.get(0).getPrevKv().getLease();
      if (old != 0 && old != g.id()) {
        revokeQuietly(old);
      }
    }
    Lease renewed = new Lease(lease.subnet(), lease.ipv6Subnet(), lease.attrs(), g.expiration());
    ownLease = renewed;
    LOG.info("renewed lease {} until {}", k, g.expiration());
    return renewed;
  }

  private record Granted(long id, Instant expiration) {}

  private Granted grant() throws SubnetException {
    Instant before = Instant.now();
    var r = await(client.getLeaseClient().grant(options.leaseTtl().toSeconds()), "grant a lease");
    return new Granted(r.getID(), before.plusSeconds(r.getTTL()));
  }

  private void revokeQuietly(long leaseId) {
    try {
      await(client.getLeaseClient().revoke(leaseId), "revoke lease " + Long.toHexString(leaseId));
    } catch (SubnetException e) {
      // it expires on its own; the failure is worth a line, not an abort
      LOG.warn("{}", e.getMessage());
    }
  }

  // ---------------------------------------------------------------------------------------
  // listing and watching

  private Listing list() throws SubnetException {
    return list(null);
  }

  /**
   * Lists every lease; entries of {@code earlier} whose key and modification revision are
   * unchanged are reused instead of parsed again (same revision, same bytes).
   */
  private Listing list(Listing earlier) throws SubnetException {
    GetResponse r = await(client.getKVClient().get(bytes(subnetsPrefix()), GetOption.builder().isPrefix(true).build()),
        "list " + subnetsPrefix());
    Map<String, Entry> known = new HashMap<>();
    if (earlier != null) {
      earlier.entries().forEach(e -> known.put(e.key(), e));
    }
    List<Entry> out = new ArrayList<>();
    for (KeyValue kv : r.getKvs()) {
      Entry e = known.isEmpty() ? null : known.get(text(kv.getKey()));
      if (e == null || e.modRevision() != kv.getModRevision()) {
        e = entry(kv.getKey(), kv.getValue(), kv.getLease(), kv.getModRevision(), kv.getCreateRevision(), true);
      }
      if (e != null) {
        out.add(e);
      }
    }
    return new Listing(out, r.getHeader().getRevision());
  }

  /**
   * Parses one key; null (with a warning) when the key does not parse. A value that does
   * not parse yields attrs null when {@code keepBadValues} (the subnet is still taken).
   */
  private Entry entry(ByteSequence rawKey, ByteSequence rawValue, long leaseId, long mod, long create,
      boolean keepBadValues) {
    String key = text(rawKey);
    EtcdLeaseKey k;
    try {
      k = EtcdLeaseKey.parse(key.substring(subnetsPrefix().length()));
    } catch (IllegalArgumentException e) {
      if (rawValue == null) {
        // the deletion of a key never read as a lease: nothing to withdraw, nothing new to report
        LOG.debug("ignoring the deletion of etcd key {}: {}", IpLiteral.quote(key), e.getMessage());
      } else {
        reportBad(key, mod, e);
      }
      return null;
    }
    LeaseAttrs attrs = null;
    if (rawValue != null) {
      try {
        attrs = LeaseAttrsJson.read(text(rawValue));
      } catch (IllegalArgumentException e) {
        reportBad(key, mod, e);
        if (!keepBadValues) {
          return null;
        }
      }
    }
    return new Entry(key, k, attrs, leaseId, mod, create);
  }

  private void reportBad(String key, long modRevision, IllegalArgumentException e) {
    if (reportedBad.add(key + "@" + modRevision)) {
      malformed.incrementAndGet();
      LOG.warn("skipping etcd key {}: {}", IpLiteral.quote(key), e.getMessage());
    } else {
      LOG.debug("skipping etcd key {} (revision {}, reported before)", IpLiteral.quote(key), modRevision);
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>Call it after {@link #acquireLease}: the lease acquired then is the one filtered from
   * the events and whose deletion is reported through {@link LeaseSink#onOwnLeaseLost}.
   */
  @Override
  public Watch watchLeases(LeaseSink sink) throws SubnetException {
    if (closed) {
      throw new SubnetException("etcd subnet manager is closed");
    }
    LeaseWatch w = new LeaseWatch(sink, ownLease);
    synchronized (watches) {
      watches.add(w);
    }
    watchExecutor.execute(w::start);
    return w;
  }

  /**
   * One watch: list, deliver the difference, watch from the listed revision + 1; on any
   * error or compaction, close the stream and start over with a bounded exponential backoff.
   * Every step runs on the watch thread; a generation number discards callbacks of streams
   * already replaced.
   */
  private final class LeaseWatch implements Watch {
    private final LeaseSink sink;
    private final Lease own;
    private final LeaseWatcher view;
    private final AtomicInteger generation = new AtomicInteger();
    private io.etcd.jetcd.Watch.Watcher stream;
    private boolean initialDelivered;
    private boolean ownLost;
    private long backoffMs = BACKOFF_MIN_MS;
    private java.util.concurrent.ScheduledFuture<?> resync;
    private volatile boolean stopped;

    LeaseWatch(LeaseSink sink, Lease own) {
      this.sink = sink;
      this.own = own;
      this.view = new LeaseWatcher(own);
    }

    void start() {
      if (stopped) {
        return;
      }
      int gen = generation.incrementAndGet();
      closeStream();
      Listing listing;
      try {
        listing = list(acquiredListing.getAndSet(null));
      } catch (SubnetException e) {
        retryLater("listing leases failed: " + e.getMessage());
        return;
      }
      List<Lease> snapshot = new ArrayList<>();
      boolean ownPresent = false;
      EtcdLeaseKey ownKey = own == null ? null : new EtcdLeaseKey(own.subnet(), own.ipv6Subnet());
      for (Entry e : listing.entries()) {
        if (e.attrs() == null) {
          continue; // bad value, already logged
        }
        snapshot.add(new Lease(e.subnets().subnet(), e.subnets().ipv6Subnet(), e.attrs(), null));
        ownPresent |= ownKey != null && ownKey.equals(e.subnets());
      }
      List<LeaseEvent> events = view.reset(snapshot);
      if (!initialDelivered || !events.isEmpty()) {
        initialDelivered = true;
        deliver(events);
      }
      if (own != null && !ownPresent) {
        ownLeaseLost("not found when listing");
      }
      afterList.accept(listing.revision());
      if (stopped || gen != generation.get()) {
        return;
      }
      scheduleResync();
      WatchOption opt = WatchOption.builder().isPrefix(true).withRevision(listing.revision() + 1).build();
      try {
        stream = client.getWatchClient().watch(bytes(subnetsPrefix()), opt, io.etcd.jetcd.Watch.listener(
            resp -> onThread(gen, () -> onResponse(resp)),
            err -> onThread(gen, () -> onStreamEnd(err)),
            () -> onThread(gen, () -> onStreamEnd(null))));
      } catch (RuntimeException e) {
        retryLater("starting the watch failed: " + e);
      }
    }

    private void scheduleResync() {
      if (resync != null) {
        resync.cancel(false);
      }
      try {
        resync = watchExecutor.schedule(this::start, resyncMs, TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        // closing
      }
    }

    private void onThread(int gen, Runnable r) {
      if (stopped || gen != generation.get()) {
        return;
      }
      try {
        watchExecutor.execute(() -> {
          if (!stopped && gen == generation.get()) {
            r.run();
          }
        });
      } catch (java.util.concurrent.RejectedExecutionException e) {
        // closing
      }
    }

    private void onResponse(WatchResponse resp) {
      LOG.debug("watch response with {} events", resp.getEvents().size());
      backoffMs = BACKOFF_MIN_MS; // the stream works again
      List<LeaseEvent> raw = new ArrayList<>();
      for (WatchEvent ev : resp.getEvents()) {
        KeyValue kv = ev.getKeyValue();
        boolean put = ev.getEventType() == WatchEvent.EventType.PUT;
        Entry e = entry(kv.getKey(), put ? kv.getValue() : null, kv.getLease(), kv.getModRevision(),
            kv.getCreateRevision(), false);
        if (e == null) {
          continue;
        }
        EtcdLeaseKey k = e.subnets();
        boolean isOwn = own != null && k.equals(new EtcdLeaseKey(own.subnet(), own.ipv6Subnet()));
        if (put) {
          raw.add(new LeaseEvent.Added(new Lease(k.subnet(), k.ipv6Subnet(), e.attrs(), null)));
        } else if (isOwn) {
          ownLeaseLost("deleted from etcd");
        } else {
          raw.add(new LeaseEvent.Removed(new Lease(k.subnet(), k.ipv6Subnet(), NO_ATTRS, null)));
        }
      }
      List<LeaseEvent> events = view.apply(raw);
      if (!events.isEmpty()) {
        deliver(events);
      }
    }

    private void onStreamEnd(Throwable err) {
      LOG.debug("watch stream ended", err);
      if (err instanceof CompactedException c) {
        LOG.info("etcd compacted past our watch (revision {}); re-listing leases", c.getCompactedRevision());
        generation.incrementAndGet();
        closeStream();
        start();
        return;
      }
      retryLater(err == null ? "watch stream ended" : "watch failed: " + err.getMessage());
    }

    private void retryLater(String why) {
      generation.incrementAndGet(); // ignore the rest of the old stream
      closeStream();
      long delay = backoffMs;
      backoffMs = Math.min(BACKOFF_MAX_MS, backoffMs * 2);
      LOG.warn("{}; retrying in {} ms", why, delay);
      if (!stopped) {
        try {
          if (resync != null) {
            resync.cancel(false);
          }
          resync = watchExecutor.schedule(this::start, delay, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
          // closing
        }
      }
    }

    private void deliver(List<LeaseEvent> events) {
      try {
        sink.onEvents(events);
      } catch (RuntimeException e) {
        LOG.error("lease sink failed on {} events", events.size(), e);
      }
    }

    private void ownLeaseLost(String how) {
      if (ownLost) {
        return;
      }
      ownLost = true;
      LOG.warn("our lease {} was {}", own.key(), how);
      try {
        sink.onOwnLeaseLost(own);
      } catch (RuntimeException e) {
        LOG.error("lease sink failed on own lease loss", e);
      }
    }

    private void closeStream() {
      if (stream != null) {
        io.etcd.jetcd.Watch.Watcher s = stream;
        stream = null;
        try {
          s.close();
        } catch (RuntimeException e) {
          LOG.debug("closing watch stream", e);
        }
      }
    }

    @Override
    public void close() {
      stopped = true;
      generation.incrementAndGet();
      try {
        watchExecutor.execute(this::closeStream);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        closeStream();
      }
      synchronized (watches) {
        watches.remove(this);
      }
    }
  }

  // ---------------------------------------------------------------------------------------
  // plumbing

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    List<LeaseWatch> open;
    synchronized (watches) {
      open = new ArrayList<>(watches);
    }
    open.forEach(LeaseWatch::close);
    client.close(); // before its executor goes away: closing still completes futures on it
    shutdownExecutors();
  }

  private void shutdownExecutors() {
    watchExecutor.shutdownNow();
    clientExecutor.shutdownNow();
    try {
      watchExecutor.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private <T> T await(CompletableFuture<T> f, String what) throws SubnetException {
    try {
      return f.get(options.opTimeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      f.cancel(true);
      // jetcd keeps retrying a failed authentication until the deadline instead of failing,
      // so a wrong password looks like a timeout: say so when credentials are in use.
      String auth = options.username().isEmpty() ? ""
          : "; authenticating as etcd user \"" + options.username()
              + "\": wrong --etcd-username/--etcd-password also end this way";
      throw new SubnetException("etcd: " + what + " timed out after " + options.opTimeout().toSeconds()
          + " s (endpoints " + options.endpoints() + auth + ")", e);
    } catch (ExecutionException e) {
      Throwable c = e.getCause() == null ? e : e.getCause();
      String why = String.valueOf(c.getMessage());
      if (!options.username().isEmpty() && looksLikeAuthFailure(why)) {
        why += " (authentication as etcd user \"" + options.username()
            + "\" failed: check --etcd-username/--etcd-password)";
      }
      throw new SubnetException("etcd: " + what + " failed: " + why, c);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SubnetException("etcd: " + what + " interrupted", e);
    }
  }

  private static boolean looksLikeAuthFailure(String message) {
    String m = message.toLowerCase(java.util.Locale.ROOT);
    return m.contains("unauthenticated") || m.contains("authentication failed")
        || m.contains("invalid user id or password") || m.contains("invalid auth token");
  }

  private static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }

  private static String text(ByteSequence b) {
    return b.toString(StandardCharsets.UTF_8);
  }

  private static ThreadFactory daemonThreads(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
