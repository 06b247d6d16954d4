package io.jflannel.subnet.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.PutOption;
import io.jflannel.subnet.IpNet;
import io.jflannel.subnet.Lease;
import io.jflannel.subnet.LeaseAttrs;
import io.jflannel.subnet.LeaseEvent;
import io.jflannel.subnet.PeerListener;
import io.jflannel.subnet.PeerSet;
import io.jflannel.subnet.SubnetManager;
import io.jflannel.subnet.etcd.EtcdRegistry.Entry;
import io.jflannel.subnet.etcd.EtcdRegistry.Listing;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * Paged listing of the subnets prefix against a real etcd (issue 21 item 1, decision 1070):
 * pages of {@link EtcdRegistry#PAGE_KEYS} keys, all at the first page's revision, the watch
 * from that revision + 1; a prefix larger than the client's message limit lists at start-up and
 * on every re-list.
 */
class EtcdPagedListingTest {
  private static final ObjectMapper M = new ObjectMapper();
  private static final AtomicInteger PREFIXES = new AtomicInteger();
  private static EtcdServer etcd;
  private static Client client;

  private String prefix;
  private final List<AutoCloseable> closeables = new ArrayList<>();

  @BeforeAll
  static void startEtcd() throws Exception {
    EtcdServer.requireEtcd();
    etcd = EtcdServer.start();
    client = Client.builder().endpoints(etcd.endpoint()).build();
  }

  @AfterAll
  static void stopEtcd() throws Exception {
    if (client != null) {
      client.close();
    }
    if (etcd != null) {
      etcd.close();
    }
  }

  @BeforeEach
  void newPrefix(TestInfo info) {
    prefix = "/jfl-page/" + PREFIXES.incrementAndGet() + "-" + info.getTestMethod().orElseThrow().getName();
  }

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : closeables) {
      c.close();
    }
  }

  private EtcdOptions options() {
    return EtcdOptions.of(List.of(etcd.endpoint())).withPrefix(prefix).withOpTimeout(Duration.ofSeconds(20));
  }

  private EtcdRegistry registry() throws Exception {
    EtcdRegistry r = new EtcdRegistry(options());
    closeables.add(r);
    return r;
  }

  private EtcdSubnetManager manager() throws Exception {
    EtcdSubnetManager m = new EtcdSubnetManager(options(), null);
    closeables.add(m);
    return m;
  }

  private static ByteSequence b(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }

  private void put(String key, String value) throws Exception {
    client.getKVClient().put(b(prefix + key), b(value)).get(20, TimeUnit.SECONDS);
  }

  private void delete(String key) throws Exception {
    client.getKVClient().delete(b(prefix + key)).get(20, TimeUnit.SECONDS);
  }

  /** Writes {@code key -> value} pairs in transactions of 100 puts (etcd allows 128 per txn). */
  private void putAll(List<String[]> pairs) throws Exception {
    for (int i = 0; i < pairs.size(); i += 100) {
      List<Op> ops = new ArrayList<>();
      for (String[] kv : pairs.subList(i, Math.min(pairs.size(), i + 100))) {
        ops.add(Op.put(b(prefix + kv[0]), b(kv[1]), PutOption.DEFAULT));
      }
      client.getKVClient().txn().Then(ops.toArray(Op[]::new)).commit().get(30, TimeUnit.SECONDS);
    }
  }

  private long currentRevision() throws Exception {
    return client.getKVClient().get(b(prefix + "/nothing")).get(20, TimeUnit.SECONDS).getHeader().getRevision();
  }

  /** A valid vxlan lease value; {@code note} (may be empty) is an extra BackendData field, ignored by readers. */
  private static String value(String ip, String mac, String note) {
    return "{\"PublicIP\":\"" + ip + "\",\"PublicIPv6\":null,\"BackendType\":\"vxlan\",\"BackendData\":{\"VNI\":1,"
        + "\"VtepMAC\":\"" + mac + "\"" + (note.isEmpty() ? "" : ",\"Note\":\"" + note + "\"") + "}}";
  }

  private static String value(String ip, String mac) {
    return value(ip, mac, "");
  }

  private static String mac(int i) {
    return String.format("02:00:00:%02x:%02x:%02x", (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff);
  }

  /** Subnet {@code i} of 10.0.0.0/8 as a key ("10.x.y.0-24") and a lease value for it. */
  private static String[] lease(int i, String note) {
    String key = "/subnets/10." + (i >> 8) + "." + (i & 0xff) + ".0-24";
    return new String[] {key, value("172.16." + (i >> 8) + "." + (i & 0xff), mac(i), note)};
  }

  private static void await(String what, BooleanSupplier done) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < end) {
      if (done.getAsBoolean()) {
        return;
      }
      Thread.sleep(20);
    }
    throw new AssertionError("timed out waiting for " + what);
  }

  /** Collects what a watch delivers. */
  private static final class Recorder implements PeerListener {
    final BlockingQueue<List<LeaseEvent>> batches = new LinkedBlockingQueue<>();
    final List<LeaseEvent> all = new CopyOnWriteArrayList<>();

    @Override
    public void peersChanged(PeerSet peers) {
      List<LeaseEvent> events = peers.drain().events();
      batches.add(events);
      all.addAll(events);
    }

    @Override
    public void ownLeaseLost(Lease lease) {
      throw new AssertionError("own lease lost: " + lease);
    }

    List<LeaseEvent> firstBatch() throws InterruptedException {
      List<LeaseEvent> b = batches.poll(60, TimeUnit.SECONDS);
      assertNotNull(b, "no initial batch");
      return b;
    }

    long count(Predicate<LeaseEvent> p) {
      return all.stream().filter(p).count();
    }
  }

  private static Predicate<LeaseEvent> added(String subnet, String mac) {
    return e -> e instanceof LeaseEvent.Added && e.lease().subnet().equals(IpNet.parse(subnet))
        && e.lease().attrs().backendData().get("VtepMAC").asText().equals(mac);
  }

  private static LeaseAttrs attrs(String ip, String mac) throws Exception {
    return new LeaseAttrs(InetAddress.getByName(ip), null, "vxlan",
        M.readTree("{\"VNI\":1,\"VtepMAC\":\"" + mac + "\"}"), null);
  }

  // ------------------------------------------------------------------ the registry's pages

  /**
   * Key counts around page boundaries (page size 3): nothing, less than a page, exactly one and
   * two pages, one over. Every key once, in key order; no empty page after an exact multiple;
   * the key right past the prefix's end is not listed.
   */
  @Test
  void pageBoundaries() throws Exception {
    String base = prefix;
    for (int n : new int[] {0, 1, 3, 6, 7}) {
      prefix = base + "/n" + n;
      List<String[]> leases = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        leases.add(lease(300 + i, ""));
      }
      putAll(leases);
      put("/subnets0", "just past the prefix"); // the prefix's range end: "/subnets/" with '/' + 1
      EtcdRegistry r = registry();
      r.pageKeys = 3;
      AtomicInteger pages = new AtomicInteger();
      r.afterPage = pages::set;
      Listing l = r.list(null);
      assertEquals(leases.stream().map(kv -> prefix + kv[0]).toList(), l.entries().stream().map(Entry::key).toList(),
          "n=" + n);
      assertTrue(l.entries().stream().allMatch(e -> e.attrs() != null), "n=" + n);
      assertEquals(Math.max(1, (n + 2) / 3), pages.get(), "pages for n=" + n);
    }
  }

  /**
   * Writes made while a listing is between pages are not in it: every page is read at the first
   * page's revision, so the listing is the store as it was then (a new key that sorts into a
   * later page is absent, a changed one has its old value, a deleted one is still there).
   */
  @Test
  void everyPageIsReadAtTheFirstPagesRevision() throws Exception {
    List<String[]> leases = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      leases.add(lease(300 + i * 2, "")); // 10.1.44.0, 10.1.46.0, ... leave room between them
    }
    putAll(leases);
    long before = currentRevision();
    EtcdRegistry r = registry();
    r.pageKeys = 2;
    r.afterPage = page -> {
      if (page == 1) {
        try {
          put(lease(305, "")[0], lease(305, "")[1]); // sorts into a later page
          put(leases.get(3)[0], value("172.16.9.9", "02:00:00:00:09:09")); // changed, in the second page
          delete(leases.get(4)[0]); // deleted, in the third page
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      }
    };
    Listing l = r.list(null);
    assertEquals(before, l.revision());
    assertEquals(leases.stream().map(kv -> prefix + kv[0]).toList(), l.entries().stream().map(Entry::key).toList());
    assertEquals(InetAddress.getByName("172.16.1.50"), l.entries().get(3).attrs().publicIp(), "the value at the revision");
    assertEquals(before + 3, r.list(null).revision());
    assertEquals(5, r.list(null).entries().size(), "one added, one deleted");
  }

  /** A later page whose revision etcd compacted meanwhile makes the listing start over at a new revision. */
  @Test
  void aPinnedRevisionCompactedBetweenPagesStartsTheListingOver() throws Exception {
    List<String[]> leases = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      leases.add(lease(300 + i, ""));
    }
    putAll(leases);
    EtcdRegistry r = registry();
    r.pageKeys = 2;
    AtomicBoolean once = new AtomicBoolean();
    AtomicInteger pages = new AtomicInteger();
    AtomicLong compactedAt = new AtomicLong();
    r.afterPage = page -> {
      pages.incrementAndGet();
      if (page == 1 && once.compareAndSet(false, true)) {
        try {
          put(lease(310, "")[0], lease(310, "")[1]);
          long now = currentRevision();
          client.getKVClient().compact(now).get(20, TimeUnit.SECONDS);
          compactedAt.set(now);
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      }
    };
    Listing l = r.list(null);
    assertEquals(6, l.entries().size(), "the listing made after the compaction: " + l.entries());
    assertEquals(compactedAt.get(), l.revision());
    assertEquals(1 + 3, pages.get(), "one page, then the whole listing again");
  }

  /**
   * A page over the 16 MiB the client accepts (15 leases of 1.2 MB each: each value under
   * etcd's 1.5 MiB request limit) is asked for again with fewer keys; every lease is listed.
   */
  @Test
  void aPageOverTheMessageLimitIsAskedForWithFewerKeys() throws Exception {
    String note = "n".repeat(1_200_000);
    int n = 15;
    for (int i = 0; i < n; i++) {
      String[] kv = lease(300 + i, note);
      put(kv[0], kv[1]);
    }
    EtcdRegistry r = registry();
    AtomicInteger pages = new AtomicInteger();
    r.afterPage = pages::set;
    Listing l = r.list(null);
    assertEquals(n, l.entries().size());
    assertTrue(l.entries().stream().allMatch(e -> e.attrs() != null
        && e.attrs().backendData().get("Note").asText().length() == note.length()));
    assertTrue(pages.get() >= 2, "more than one page: " + pages.get());
  }

  // ------------------------------------------------------------------ the manager

  /**
   * A subnets prefix of about 18 MB (9,000 leases of 2 KB: more than the client's 16 MiB limit,
   * which one unpaged response would exceed): the acquisition sees every page (the only free
   * subnet is the one it takes), the first listing delivers every peer, and re-lists (the
   * periodic rebuild) keep working without failures or changes. 9,000 keys are exactly 18 pages.
   */
  @Test
  void startUpAndRelistWorkWithASubnetsPrefixOverTheMessageLimit() throws Exception {
    int first = 256; // 10.1.0.0/24
    int count = 9_000;
    int free = first + 8_000;
    put("/config", "{\"Network\":\"10.0.0.0/8\",\"SubnetMin\":\"10.1.0.0\",\"SubnetMax\":\"10."
        + ((first + count - 1) >> 8) + "." + ((first + count - 1) & 0xff) + ".0\"}");
    String note = "p".repeat(1_900);
    List<String[]> leases = new ArrayList<>();
    for (int i = first; i < first + count; i++) {
      if (i != free) {
        leases.add(lease(i, note));
      }
    }
    putAll(leases);
    long bytes = leases.stream().mapToLong(kv -> kv[0].length() + prefix.length() + kv[1].length()).sum();
    assertTrue(bytes > EtcdRegistry.MAX_INBOUND_BYTES, "prefix holds " + bytes + " bytes");

    EtcdSubnetManager m = manager();
    Lease own = m.acquireLease(attrs("192.0.2.1", "02:00:00:00:00:01"));
    assertEquals(IpNet.parse("10." + (free >> 8) + "." + (free & 0xff) + ".0/24"), own.subnet(),
        "the only free subnet, in the 17th page");

    AtomicInteger pages = new AtomicInteger();
    m.registry().afterPage = pages::set;
    AtomicInteger lists = new AtomicInteger();
    AtomicInteger pagesOfSecondList = new AtomicInteger();
    m.afterList = rev -> {
      if (lists.incrementAndGet() == 2) {
        pagesOfSecondList.set(pages.get());
      }
    };
    m.resyncMs = 300;
    Recorder r = new Recorder();
    try (SubnetManager.Watch w = m.watchPeers(r)) {
      List<LeaseEvent> initial = r.firstBatch();
      assertEquals(count - 1, initial.size(), "every peer, own lease filtered");
      assertTrue(initial.stream().allMatch(e -> e instanceof LeaseEvent.Added));
      await("two re-lists", () -> lists.get() >= 3);
      assertEquals(18, pagesOfSecondList.get(), "9,000 keys in pages of 500");
      assertEquals(0, m.peerListFailures());
      assertTrue(m.peerListProblem().isEmpty());
      assertEquals(count - 1, r.all.size(), "re-lists of an unchanged store change nothing");

      // still watching after the re-lists
      String[] changed = lease(first, "");
      put(changed[0], value("172.16.1.0", "02:00:00:00:aa:aa"));
      await("the change after the re-lists", () -> r.count(added("10.1.0.0/24", "02:00:00:00:aa:aa")) == 1);
    }
  }

  /**
   * A write between the first page and a later one, and a write between the listing and the
   * start of the watch, each reach the listener exactly once: not in the first batch (the
   * listing is the store at its revision) and once from the watch (started at that revision
   * + 1). A write after both, seen last, shows nothing came twice.
   */
  @Test
  void writesDuringTheListingAndBeforeTheWatchAreDeliveredOnce() throws Exception {
    put("/config", "{\"Network\":\"10.0.0.0/8\",\"SubnetMin\":\"10.1.0.0\",\"SubnetMax\":\"10.1.0.0\"}");
    List<String[]> leases = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      leases.add(lease(300 + i * 2, ""));
    }
    putAll(leases);
    EtcdSubnetManager m = manager();
    m.acquireLease(attrs("192.0.2.1", "02:00:00:00:00:01"));
    m.registry().pageKeys = 2;
    AtomicBoolean duringList = new AtomicBoolean();
    AtomicBoolean beforeWatch = new AtomicBoolean();
    m.registry().afterPage = page -> {
      if (page == 1 && duringList.compareAndSet(false, true)) {
        try {
          put(lease(309, "")[0], value("172.16.1.53", "02:00:00:00:01:35")); // sorts into a later page
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      }
    };
    m.afterList = rev -> {
      if (beforeWatch.compareAndSet(false, true)) {
        try {
          put(leases.get(0)[0], value("172.16.1.44", "02:00:00:00:01:2d"));
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      }
    };
    Recorder r = new Recorder();
    try (SubnetManager.Watch w = m.watchPeers(r)) {
      List<LeaseEvent> initial = r.firstBatch();
      assertEquals(6, initial.size(), initial.toString());
      assertFalse(initial.stream().anyMatch(e -> e.lease().subnet().equals(IpNet.parse("10.1.53.0/24"))),
          "a write after the first page is not in the listing: " + initial);
      assertTrue(initial.stream().anyMatch(added("10.1.44.0/24", mac(300))), initial.toString());
      put(lease(400, "")[0], lease(400, "")[1]);
      await("the write after everything", () -> r.count(added("10.1.144.0/24", mac(400))) == 1);
      assertEquals(1, r.count(added("10.1.53.0/24", "02:00:00:00:01:35")), r.all.toString());
      assertEquals(1, r.count(added("10.1.44.0/24", "02:00:00:00:01:2d")), r.all.toString());
      assertEquals(6 + 3, r.all.size(), r.all.toString());
    }
  }
}
