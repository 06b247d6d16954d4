package io.jflannel.subnet.etcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.common.exception.EtcdException;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.PutResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.OptionsUtil;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchResponse;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import io.jflannel.subnet.IpLiteral;
import io.jflannel.subnet.LeaseAttrs;
import io.jflannel.subnet.LeaseAttrsJson;
import io.jflannel.subnet.SubnetException;
import io.jflannel.subnet.Threads;
import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.IntConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The etcd I/O of the subnet manager: the client, the config key, listings of the subnets
 * prefix parsed into {@link Entry entries}, the conditional writes, etcd leases (grant and
 * revoke) and the prefix watch. No policy: which subnet to take is {@link SubnetAllocator}'s.
 *
 * <p>Threads: jetcd's own (a bounded pool of two, plus its gRPC event loops) and one
 * {@code jfl-etcd-watch} thread on which the lease watch runs, so a slow consumer never
 * blocks the gRPC threads.
 */
final class EtcdRegistry implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EtcdRegistry.class);

  /** One key under the subnets prefix as listed or watched; attrs null when its value did not parse. */
  record Entry(String key, EtcdLeaseKey subnets, LeaseAttrs attrs, long leaseId, long modRevision,
      long createRevision) {}

  /** A listing of the subnets prefix at one revision. */
  record Listing(List<Entry> entries, long revision) {}

  /** An etcd lease: its id and when it ends. */
  record Granted(long id, Instant expiration) {}

  /**
   * Keys per page of a listing: client-go's pager size, about 100 KB of typical lease values,
   * so 40,000 leases are 80 requests (docs/decisions/1070).
   */
  static final int PAGE_KEYS = 500;
  /**
   * The largest gRPC message the client accepts (gRPC's default is 4 MiB). A page that does not
   * fit is asked for again with fewer keys, so this only has to hold one key: etcd refuses a
   * value larger than its {@code --max-request-bytes} (1.5 MiB by default, and etcd warns above
   * 10 MiB), and 16 MiB holds any value such an etcd stores, with room for the key and the
   * response around it (docs/decisions/1070).
   */
  static final int MAX_INBOUND_BYTES = 16 << 20;
  private static final int LIST_ATTEMPTS = 3;
  /**
   * gRPC logs each data frame still arriving for a response it refused as too large, at INFO
   * through java.util.logging: hundreds of lines for one page asked for again with fewer keys.
   * Held here because java.util.logging keeps only weak references to its loggers.
   */
  private static final java.util.logging.Logger GRPC_CLIENT_STREAM_LOG = warningsOnly(
      "io.grpc.internal.AbstractClientStream");

  private final EtcdOptions options;
  private final Client client;
  private final ExecutorService clientExecutor;
  private final ScheduledExecutorService watchExecutor;
  private final AtomicLong malformed = new AtomicLong();
  // Bad key versions already reported ("key@modRevision"): relistings do not warn or count again.
  private final Set<String> reportedBad = ConcurrentHashMap.newKeySet();
  /** Keys per page; tests make it small to put many page boundaries in a few keys. */
  volatile int pageKeys = PAGE_KEYS;
  /** Test seam: runs after each page of a listing is read, given how many pages have been. */
  volatile IntConsumer afterPage = page -> {};

  /**
   * Connects to etcd (lazily: nothing is sent before the first call).
   *
   * @throws SubnetException when the TLS files cannot be loaded
   */
  EtcdRegistry(EtcdOptions options) throws SubnetException {
    this.options = Objects.requireNonNull(options, "options");
    this.clientExecutor = Executors.newFixedThreadPool(2, Threads.factory("etcd-client"));
    this.watchExecutor = Executors.newSingleThreadScheduledExecutor(Threads.factory("etcd-watch"));
    ClientBuilder b = Client.builder()
        .endpoints(options.endpoints().toArray(String[]::new))
        .executorService(clientExecutor)
        .connectTimeout(options.opTimeout())
        .retryMaxDuration(options.opTimeout())
        .maxInboundMessageSize(MAX_INBOUND_BYTES);
    if (!options.username().isEmpty()) {
      b.user(bytes(options.username())).password(bytes(options.password()));
    }
    if (options.tls()) {
      try {
        // PKCS#1 and SEC1 keys are accepted as upstream; the TLS stack reads only PKCS#8.
        byte[] key = PemPrivateKey.readAsPkcs8(Path.of(options.keyFile())).getBytes(StandardCharsets.US_ASCII);
        byte[] chain = Files.readAllBytes(Path.of(options.certFile()));
        b.sslContext(ssl -> {
          ssl.keyManager(new ByteArrayInputStream(chain), new ByteArrayInputStream(key));
          if (!options.caFile().isEmpty()) {
            ssl.trustManager(new File(options.caFile()));
          }
        });
      } catch (IOException | RuntimeException e) {
        shutdownExecutors();
        throw new SubnetException("cannot load etcd TLS files (key " + options.keyFile() + ", cert "
            + options.certFile() + ", ca " + options.caFile() + "): " + e.getMessage(), e);
      }
    }
    this.client = b.build();
  }

  EtcdOptions options() {
    return options;
  }

  /** The single thread the lease watch runs on. */
  ScheduledExecutorService watchExecutor() {
    return watchExecutor;
  }

  /** Versions of keys skipped because their name or value did not parse (each counted once). */
  long malformed() {
    return malformed.get();
  }

  String configKey() {
    return options.prefix() + "/config";
  }

  String subnetsPrefix() {
    return options.prefix() + "/subnets/";
  }

  String keyOf(EtcdLeaseKey k) {
    return subnetsPrefix() + k;
  }

  /** The config key's value, empty when the key does not exist. */
  Optional<String> readConfig() throws SubnetException {
    GetResponse r = await(client.getKVClient().get(bytes(configKey())), "read " + configKey());
    return r.getKvs().isEmpty() ? Optional.empty() : Optional.of(text(r.getKvs().get(0).getValue()));
  }

  /**
   * Lists every lease; entries of {@code earlier} (may be null) whose key and modification
   * revision are unchanged are reused instead of parsed again (same revision, same bytes). A key
   * that does not parse is left out; a value that does not parse gives an entry with null attrs
   * (the subnet is still taken).
   *
   * <p>The prefix is read in pages of at most {@link #PAGE_KEYS} keys, all at the revision the
   * first page was read at, so the pages together are one snapshot and a watch from that
   * revision + 1 misses nothing and repeats nothing (docs/decisions/1070). A page compacted away
   * before it was read starts the listing over.
   */
  Listing list(Listing earlier) throws SubnetException {
    Map<String, Entry> known = new HashMap<>();
    if (earlier != null) {
      earlier.entries().forEach(e -> known.put(e.key(), e));
    }
    for (int attempt = 1; ; attempt++) {
      try {
        return listPages(known);
      } catch (PinnedRevisionCompacted e) {
        if (attempt == LIST_ATTEMPTS) {
          throw new SubnetException("etcd: list " + subnetsPrefix() + " failed: revision " + e.revision
              + " was compacted before the listing finished, " + LIST_ATTEMPTS + " times in a row", e.getCause());
        }
        LOG.info("etcd compacted revision {} while {} was being listed; listing again", e.revision,
            subnetsPrefix());
      }
    }
  }

  /** A page asked for at a revision etcd no longer has. */
  private static final class PinnedRevisionCompacted extends Exception {
    final long revision;

    PinnedRevisionCompacted(long revision, Throwable cause) {
      super(cause);
      this.revision = revision;
    }
  }

  private Listing listPages(Map<String, Entry> known) throws SubnetException, PinnedRevisionCompacted {
    String what = "list " + subnetsPrefix();
    ByteSequence end = OptionsUtil.prefixEndOf(bytes(subnetsPrefix()));
    ByteSequence from = bytes(subnetsPrefix());
    long revision = 0; // 0: the newest; then the first page's, for every later page
    int limit = pageKeys;
    int pages = 0;
    List<Entry> out = new ArrayList<>();
    while (true) {
      GetOption opt = GetOption.builder().withRange(end).withLimit(limit).withRevision(revision).build();
      GetResponse r;
      try {
        r = await(client.getKVClient().get(from, opt), what);
      } catch (SubnetException e) {
        Status.Code code = statusCode(e);
        boolean tooLarge = code == Status.Code.RESOURCE_EXHAUSTED && String.valueOf(e.getMessage())
            .contains("exceeds maximum size"); // gRPC's own limit, not etcd's "too many requests"
        if (tooLarge && limit > 1) {
          // Larger than the client accepts (MAX_INBOUND_BYTES): the same page with fewer keys,
          // down to one key, which fits whenever a single value does.
          LOG.debug("a page of up to {} keys under {} exceeds {} bytes; asking for {} keys per page", limit,
              subnetsPrefix(), MAX_INBOUND_BYTES, limit / 2);
          limit /= 2;
          continue;
        }
        if (tooLarge) {
          throw new SubnetException(e.getMessage() + " (a single key under " + subnetsPrefix()
              + " is larger than the " + (MAX_INBOUND_BYTES >> 20) + " MiB the client accepts)", e.getCause());
        }
        if (revision != 0 && code == Status.Code.OUT_OF_RANGE) {
          throw new PinnedRevisionCompacted(revision, e.getCause());
        }
        throw e;
      }
      if (revision == 0) {
        revision = r.getHeader().getRevision();
      }
      pages++;
      List<KeyValue> kvs = r.getKvs();
      for (KeyValue kv : kvs) {
        Entry e = known.isEmpty() ? null : known.get(text(kv.getKey()));
        if (e == null || e.modRevision() != kv.getModRevision()) {
          e = entry(kv, true, true);
        }
        if (e != null) {
          out.add(e);
        }
      }
      afterPage.accept(pages);
      if (!r.isMore() || kvs.isEmpty()) {
        return new Listing(out, revision);
      }
      // the next page starts right after the last key of this one
      from = kvs.get(kvs.size() - 1).getKey().concat(ByteSequence.from(new byte[] {0}));
    }
  }

  private static java.util.logging.Logger warningsOnly(String name) {
    java.util.logging.Logger l = java.util.logging.Logger.getLogger(name);
    l.setLevel(java.util.logging.Level.WARNING);
    return l;
  }

  /** The gRPC status code behind a failed request (jetcd passes gRPC's exception through), or null. */
  private static Status.Code statusCode(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof EtcdException ee) {
        return Status.Code.valueOf(ee.getErrorCode().name());
      }
      if (c instanceof StatusRuntimeException || c instanceof StatusException) {
        return Status.fromThrowable(c).getCode();
      }
    }
    return null;
  }

  /** One key under the subnets prefix, value parsed (attrs null when it does not parse); empty when absent. */
  Optional<Entry> get(String key) throws SubnetException {
    GetResponse r = await(client.getKVClient().get(bytes(key)), "read " + key);
    return r.getKvs().isEmpty() ? Optional.empty() : Optional.ofNullable(entry(r.getKvs().get(0), true, true));
  }

  /**
   * Parses one key-value; null (with one warning per key version) when the key does not parse,
   * or when the value does not parse and {@code keepBadValues} is false. {@code withValue}
   * false (a delete) parses the key alone.
   */
  Entry entry(KeyValue kv, boolean withValue, boolean keepBadValues) {
    String key = text(kv.getKey());
    long mod = kv.getModRevision();
    EtcdLeaseKey k;
    try {
      k = EtcdLeaseKey.parse(key.substring(subnetsPrefix().length()));
    } catch (IllegalArgumentException e) {
      if (withValue) {
        reportBad(key, mod, e);
      } else {
        // the deletion of a key never read as a lease: nothing to withdraw, nothing new to report
        LOG.debug("ignoring the deletion of etcd key {}: {}", IpLiteral.quote(key), e.getMessage());
      }
      return null;
    }
    LeaseAttrs attrs = null;
    if (withValue) {
      try {
        attrs = LeaseAttrsJson.read(text(kv.getValue()));
      } catch (IllegalArgumentException e) {
        reportBad(key, mod, e);
        if (!keepBadValues) {
          return null;
        }
      }
    }
    return new Entry(key, k, attrs, kv.getLease(), mod, kv.getCreateRevision());
  }

  private void reportBad(String key, long modRevision, IllegalArgumentException e) {
    if (reportedBad.add(key + "@" + modRevision)) {
      malformed.incrementAndGet();
      LOG.warn("skipping etcd key {}: {}", IpLiteral.quote(key), e.getMessage());
    } else {
      LOG.debug("skipping etcd key {} (revision {}, reported before)", IpLiteral.quote(key), modRevision);
    }
  }

  /** Writes {@code value} (on etcd lease {@code leaseId}, 0 for none) if the key is still at {@code modRevision}. */
  boolean putIfUnchanged(String key, String value, long modRevision, long leaseId) throws SubnetException {
    PutOption put = leaseId == 0 ? PutOption.DEFAULT : PutOption.builder().withLeaseId(leaseId).build();
    return await(client.getKVClient().txn()
        .If(new Cmp(bytes(key), Cmp.Op.EQUAL, CmpTarget.modRevision(modRevision)))
        .Then(Op.put(bytes(key), bytes(value), put)).commit(), "update " + key).isSucceeded();
  }

  /** Deletes the key if it is still at {@code modRevision}. */
  boolean deleteIfUnchanged(String key, long modRevision) throws SubnetException {
    return await(client.getKVClient().txn()
        .If(new Cmp(bytes(key), Cmp.Op.EQUAL, CmpTarget.modRevision(modRevision)))
        .Then(Op.delete(bytes(key), DeleteOption.DEFAULT))
        .commit(), "delete " + key).isSucceeded();
  }

  /** Creates the key on etcd lease {@code leaseId} if it does not exist; the revision of the write, or empty. */
  Optional<Long> createIfAbsent(String key, String value, long leaseId) throws SubnetException {
    TxnResponse r = await(client.getKVClient().txn()
        .If(new Cmp(bytes(key), Cmp.Op.EQUAL, CmpTarget.version(0)))
        .Then(Op.put(bytes(key), bytes(value), PutOption.builder().withLeaseId(leaseId).build()))
        .commit(), "create " + key);
    return r.isSucceeded() ? Optional.of(r.getHeader().getRevision()) : Optional.empty();
  }

  /**
   * Moves the key to etcd lease {@code leaseId} if it still holds exactly {@code value}.
   *
   * @return the etcd lease it was on before (0 for none), or empty when the key is gone or
   *     holds something else
   */
  Optional<Long> moveToLease(String key, String value, long leaseId) throws SubnetException {
    ByteSequence v = bytes(value);
    TxnResponse r = await(client.getKVClient().txn()
        .If(new Cmp(bytes(key), Cmp.Op.EQUAL, CmpTarget.value(v)))
        .Then(Op.put(bytes(key), v, PutOption.builder().withLeaseId(leaseId).withPrevKV().build()))
        .commit(), "renew " + key);
    if (!r.isSucceeded()) {
      return Optional.empty();
    }
    List<PutResponse> puts = r.getPutResponses();
    return Optional.of(!puts.isEmpty() && puts.get(0).hasPrevKv() ? puts.get(0).getPrevKv().getLease() : 0L);
  }

  /** A new etcd lease of the configured TTL. */
  Granted grant() throws SubnetException {
    Instant before = Instant.now();
    var r = await(client.getLeaseClient().grant(options.leaseTtl().toSeconds()), "grant a lease");
    return new Granted(r.getID(), before.plusSeconds(r.getTTL()));
  }

  /** Revokes an etcd lease (and deletes its keys); a failure is logged: the lease expires anyway. */
  void revokeQuietly(long leaseId) {
    try {
      await(client.getLeaseClient().revoke(leaseId), "revoke lease " + Long.toHexString(leaseId));
    } catch (SubnetException e) {
      LOG.warn("{}", e.getMessage());
    }
  }

  /** Watches the subnets prefix from {@code revision}; the callbacks come on gRPC threads. */
  io.etcd.jetcd.Watch.Watcher watch(long revision, Consumer<WatchResponse> onResponse,
      Consumer<Throwable> onError, Runnable onCompleted) {
    WatchOption opt = WatchOption.builder().isPrefix(true).withRevision(revision).build();
    return client.getWatchClient().watch(bytes(subnetsPrefix()), opt,
        io.etcd.jetcd.Watch.listener(onResponse, onError, onCompleted));
  }

  @Override
  public void close() {
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
      throw new SubnetException("etcd: " + what + " failed: " + why + " (endpoints " + options.endpoints() + ")", c);
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

  static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }

  static String text(ByteSequence b) {
    return b.toString(StandardCharsets.UTF_8);
  }
}
