package io.jflannel.subnet.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.LeaseOption;
import io.etcd.jetcd.options.PutOption;
import io.jflannel.subnet.ConfigException;
import io.jflannel.subnet.IpNet;
import io.jflannel.subnet.Lease;
import io.jflannel.subnet.LeaseAttrs;
import io.jflannel.subnet.LeaseEvent;
import io.jflannel.subnet.PeerListener;
import io.jflannel.subnet.PeerSet;
import io.jflannel.subnet.NetworkConfig;
import io.jflannel.subnet.SubnetEnv;
import io.jflannel.subnet.SubnetException;
import io.jflannel.subnet.SubnetManager;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/** Against a real etcd process started for this class. */
class EtcdSubnetManagerTest {
  private static final ObjectMapper M = new ObjectMapper();
  private static final AtomicInteger PREFIXES = new AtomicInteger();
  private static EtcdServer etcd;
  private static Client client;

  private String prefix;
  private final List<EtcdSubnetManager> managers = new ArrayList<>();

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
    prefix = "/jfl-sn-test/" + PREFIXES.incrementAndGet() + "-" + info.getTestMethod().orElseThrow().getName();
  }

  @AfterEach
  void closeManagers() {
    managers.forEach(EtcdSubnetManager::close);
  }

  private EtcdSubnetManager manager(SubnetEnv previous) throws SubnetException {
    return manager(previous, Duration.ofHours(24), Duration.ofMinutes(60));
  }

  private EtcdSubnetManager manager(SubnetEnv previous, Duration ttl, Duration margin) throws SubnetException {
    EtcdOptions o = EtcdOptions.of(List.of(etcd.endpoint())).withPrefix(prefix).withLease(ttl, margin)
        .withOpTimeout(Duration.ofSeconds(5));
    EtcdSubnetManager m = new EtcdSubnetManager(o, previous);
    managers.add(m);
    return m;
  }

  private static ByteSequence b(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }

  private void put(String key, String value) throws Exception {
    client.getKVClient().put(b(prefix + key), b(value)).get(5, TimeUnit.SECONDS);
  }

  private void putWithTtl(String key, String value) throws Exception {
    long id = client.getLeaseClient().grant(600).get(5, TimeUnit.SECONDS).getID();
    client.getKVClient().put(b(prefix + key), b(value), PutOption.builder().withLeaseId(id).build()).get(5, TimeUnit.SECONDS);
  }

  private void delete(String key) throws Exception {
    client.getKVClient().delete(b(prefix + key)).get(5, TimeUnit.SECONDS);
  }

  private KeyValue get(String key) throws Exception {
    List<KeyValue> kvs = client.getKVClient().get(b(prefix + key)).get(5, TimeUnit.SECONDS).getKvs();
    return kvs.isEmpty() ? null : kvs.get(0);
  }

  private List<KeyValue> subnetKeys() throws Exception {
    return client.getKVClient().get(b(prefix + "/subnets/"), GetOption.builder().isPrefix(true).build())
        .get(5, TimeUnit.SECONDS).getKvs();
  }

  private long ttlOf(long leaseId) throws Exception {
    return client.getLeaseClient().timeToLive(leaseId, LeaseOption.DEFAULT).get(5, TimeUnit.SECONDS).getTTL();
  }

  private static String text(ByteSequence s) {
    return s.toString(StandardCharsets.UTF_8);
  }

  private static LeaseAttrs attrs(String ip, String mac) throws Exception {
    return new LeaseAttrs(InetAddress.getByName(ip), null, "vxlan",
        M.readTree("{\"VNI\":1,\"VtepMAC\":\"" + mac + "\"}"), null);
  }

  private static String value(String ip, String mac) {
    return "{\"PublicIP\":\"" + ip + "\",\"PublicIPv6\":null,\"BackendType\":\"vxlan\",\"BackendData\":{\"VNI\":1,\"VtepMAC\":\""
        + mac + "\"}}";
  }

  private void config(String json) throws Exception {
    put("/config", json);
  }

  // ------------------------------------------------------------------ config

  @Test
  void readsConfigKey() throws Exception {
    config("{\"Network\":\"10.5.0.0/16\",\"Backend\":{\"Type\":\"vxlan\",\"VNI\":4}}");
    NetworkConfig c = manager(null).networkConfig();
    assertEquals(IpNet.parse("10.5.0.0/16"), c.network());
    assertEquals(24, c.subnetLen());
    assertEquals(4, c.backend().options().get("VNI").asInt());
  }

  @Test
  void missingOrBadConfigIsAClearError() throws Exception {
    SubnetException missing = assertThrows(SubnetException.class, () -> manager(null).networkConfig());
    assertTrue(missing.getMessage().contains(prefix + "/config"), missing.getMessage());
    config("{\"Network\":\"10.5.0.0/16\",\"SubnetLen\":\"24\"}");
    ConfigException bad = assertThrows(ConfigException.class, () -> manager(null).networkConfig());
    assertTrue(bad.getMessage().contains(prefix + "/config") && bad.getMessage().contains("SubnetLen"), bad.getMessage());
  }

  // ------------------------------------------------------------------ acquire

  @Test
  void acquireWritesUpstreamKeyAndValueWithA24HourLease() throws Exception {
    config("{\"Network\":\"10.5.0.0/16\"}");
    EtcdSubnetManager m = manager(null);
    Instant before = Instant.now();
    Lease l = m.acquireLease(attrs("192.168.64.3", "c6:d2:32:6f:8f:44"));
    assertTrue(IpNet.parse("10.5.0.0/16").contains(l.subnet()));
    assertEquals(24, l.subnet().prefixLength());
    assertNotEquals(IpNet.parse("10.5.0.0/24"), l.subnet(), "the first subnet is never handed out");
    List<KeyValue> keys = subnetKeys();
    assertEquals(1, keys.size());
    assertEquals(prefix + "/subnets/" + l.subnet().ip() + "-24", text(keys.get(0).getKey()));
    assertEquals("{\"PublicIP\":\"192.168.64.3\",\"PublicIPv6\":null,\"BackendType\":\"vxlan\","
        + "\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"c6:d2:32:6f:8f:44\"}}", text(keys.get(0).getValue()));
    long leaseId = keys.get(0).getLease();
    assertNotEquals(0, leaseId);
    long ttl = ttlOf(leaseId);
    assertTrue(ttl > 86_300 && ttl <= 86_400, "ttl " + ttl);
    assertTrue(l.expiration().isAfter(before.plus(Duration.ofHours(23))));
    assertEquals(l.expiration().minus(Duration.ofMinutes(60)), m.renewAt(l));
  }

  @Test
  void dualStackKeyForm() throws Exception {
    config("{\"Network\":\"10.5.0.0/16\",\"EnableIPv6\":true,\"IPv6Network\":\"fc00::/48\"}");
    LeaseAttrs a = new LeaseAttrs(InetAddress.getByName("192.0.2.1"), InetAddress.getByName("2001:db8::1"), "host-gw",
        null, null);
    Lease l = manager(null).acquireLease(a);
    assertNotNull(l.ipv6Subnet());
    KeyValue kv = subnetKeys().get(0);
    assertEquals(prefix + "/subnets/" + l.subnet().ip() + "-24&" + l.ipv6Subnet().ip() + "-64", text(kv.getKey()));
    assertTrue(text(kv.getKey()).matches(".*/subnets/10\\.5\\.\\d+\\.0-24&fc00:0:0:[0-9a-f]+::-64"), text(kv.getKey()));
    assertEquals("{\"PublicIP\":\"192.0.2.1\",\"PublicIPv6\":\"2001:db8::1\",\"BackendType\":\"host-gw\"}", text(kv.getValue()));
  }

  @Test
  void avoidsTakenSubnetsAndRunsOut() throws Exception {
    config("{\"Network\":\"10.5.0.0/16\",\"SubnetMin\":\"10.5.7.0\",\"SubnetMax\":\"10.5.8.0\"}");
    putWithTtl("/subnets/10.5.7.0-24", value("192.0.2.9", "02:00:00:00:00:09"));
    Lease l = manager(null).acquireLease(attrs("192.0.2.1", "02:00:00:00:00:01"));
    assertEquals(IpNet.parse("10.5.8.0/24"), l.subnet());
    SubnetException e = assertThrows(SubnetException.class,
        () -> manager(null).acquireLease(attrs("192.0.2.2", "02:00:00:00:00:02")));
    assertEquals("out of subnets", e.getMessage());
  }

  @Test
  void racingForTheLastFreeSubnetGivesOneWinnerAndAClearLoser() throws Exception {
    for (int round = 0; round < 5; round++) {
      prefix = prefix.replaceAll("/r\\d+$", "") + "/r" + round;
      config("{\"Network\":\"10.5.0.0/16\",\"SubnetMin\":\"10.5.7.0\",\"SubnetMax\":\"10.5.8.0\"}");
      putWithTtl("/subnets/10.5.7.0-24", value("192.0.2.9", "02:00:00:00:00:09"));
      EtcdSubnetManager m1 = manager(null);
      EtcdSubnetManager m2 = manager(null);
      m1.networkConfig();
      m2.networkConfig();
      List<Object> results = race(() -> m1.acquireLease(attrs("192.0.2.1", "02:00:00:00:00:01")),
          () -> m2.acquireLease(attrs("192.0.2.2", "02:00:00:00:00:02")));
      long wins = results.stream().filter(r -> r instanceof Lease).count();
      assertEquals(1, wins, "results " + results);
      Object loser = results.stream().filter(r -> !(r instanceof Lease)).findFirst().orElseThrow();
      assertTrue(loser instanceof SubnetException se && se.getMessage().equals("out of subnets"), "loser " + loser);
      assertEquals(2, subnetKeys().size());
    }
  }

  @Test
  void racingForTwoFreeSubnetsGivesDistinctLeases() throws Exception {
    for (int round = 0; round < 5; round++) {
      prefix = prefix.replaceAll("/r\\d+$", "") + "/r" + round;
      config("{\"Network\":\"10.5.0.0/16\",\"SubnetMin\":\"10.5.7.0\",\"SubnetMax\":\"10.5.8.0\"}");
      EtcdSubnetManager m1 = manager(null);
      EtcdSubnetManager m2 = manager(null);
      m1.networkConfig();
      m2.networkConfig();
      List<Object> results = race(() -> m1.acquireLease(attrs("192.0.2.1", "02:00:00:00:00:01")),
          () -> m2.acquireLease(attrs("192.0.2.2", "02:00:00:00:00:02")));
      assertTrue(results.get(0) instanceof Lease && results.get(1) instanceof Lease, "results " + results);
      assertNotEquals(((Lease) results.get(0)).subnet(), ((Lease) results.get(1)).subnet());
      assertEquals(2, subnetKeys().size());
    }
  }

  private interface Acquire {
    Lease run() throws Exception;
  }

  private static List<Object> race(Acquire a, Acquire b) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<Object>> fs = new ArrayList<>();
      for (Acquire x : List.of(a, b)) {
        fs.add(pool.submit(() -> {
          go.await();
          try {
            return x.run();
          } catch (Exception e) {
            return e;
          }
        }));
      }
      go.countDown();
      List<Object> out = new ArrayList<>();
      for (Future<Object> f : fs) {
        out.add(f.get(30, TimeUnit.SECONDS));
      }
      return out;
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void restartWithSamePublicIpReusesTheSubnetAndRevokesTheOldEtcdLease() throws Exception {
    config("{\"Network\":\"10.5.0.0/16\"}");
    EtcdSubnetManager first = manager(null);
    Lease l1 = first.acquireLease(attrs("192.0.2.1", "02:00:00:00:00:01"));
    long oldId = subnetKeys().get(0).getLease();
    first.close();
    Lease l2 = manager(null).acquireLease(attrs("192.0.2.1", "02:00:00:00:00:aa"));
    assertEquals(l1.subnet(), l2.subnet());
    List<KeyValue> keys = subnetKeys();
    assertEquals(1, keys.size());
    assertEquals(value("192.0.2.1", "02:00:00:00:00:aa"), text(keys.get(0).getValue()), "value updated");
    assertNotEquals(oldId, keys.get(0).getLease());
    assertEquals(-1, ttlOf(oldId), "superseded etcd lease revoked");
  }

  @Test
  void previousSubnetFromSubnetEnvIsPreferredWhenFree() throws Exception {
    config("{\"Network\":\"10.5.0.0/16\"}");
    SubnetEnv prev = new SubnetEnv(IpNet.parse("10.5.0.0/16"), IpNet.parse("10.5.42.0/24"), null, null, 1450, true);
    assertEquals(IpNet.parse("10.5.42.0/24"), manager(prev).acquireLease(attrs("192.0.2.1", "02:00:00:00:00:01")).subnet());
    // taken now: another node with the same previous file gets something else
    Lease other = manager(prev).acquireLease(attrs("192.0.2.2", "02:00:00:00:00:02"));
    assertNotEquals(IpNet.parse("10.5.42.0/24"), other.subnet());
    // outside SubnetMin..SubnetMax: ignored
    SubnetEnv outside = new SubnetEnv(IpNet.parse("10.5.0.0/16"), IpNet.parse("10.5.0.0/24"), null, null, 1450, true);
    assertNotEquals(IpNet.parse("10.5.0.0/24"), manager(outside).acquireLease(attrs("192.0.2.3", "02:00:00:00:00:03")).subnet());
  }

  @Test
  void reservationIsHonouredAndNeverGivenATtl() throws Exception {
    config("{\"Network\":\"10.5.0.0/16\",\"SubnetMin\":\"10.5.7.0\",\"SubnetMax\":\"10.5.9.0\"}");
    put("/subnets/10.5.9.0-24", "{\"PublicIP\":\"192.0.2.1\"}");
    put("/subnets/10.5.7.0-24", "{\"PublicIP\":\"192.0.2.50\"}");
    EtcdSubnetManager m = manager(null);
    Lease l = m.acquireLease(attrs("192.0.2.1", "02:00:00:00:00:01"));
    assertEquals(IpNet.parse("10.5.9.0/24"), l.subnet());
    assertNull(l.expiration());
    KeyValue kv = get("/subnets/10.5.9.0-24");
    assertEquals(0, kv.getLease(), "still a reservation");
    assertEquals(value("192.0.2.1", "02:00:00:00:00:01"), text(kv.getValue()));
    assertEquals(Instant.MAX, m.renewAt(l));
    assertEquals(l, m.renewLease(l));
    assertEquals(0, get("/subnets/10.5.9.0-24").getLease());
    // the other reservation is not free for a third node: only 10.5.8.0 is
    assertEquals(IpNet.parse("10.5.8.0/24"), manager(null).acquireLease(attrs("192.0.2.2", "02:00:00:00:00:02")).subnet());
    assertEquals("out of subnets", assertThrows(SubnetException.class,
        () -> manager(null).acquireLease(attrs("192.0.2.3", "02:00:00:00:00:03"))).getMessage());
  }

  @Test
  void leaseIsRenewedBeforeExpiry() throws Exception {
    config("{\"Network\":\"10.5.0.0/16\"}");
    EtcdSubnetManager m = manager(null, Duration.ofSeconds(5), Duration.ofSeconds(3));
    Lease l = m.acquireLease(attrs("192.0.2.1", "02:00:00:00:00:01"));
    String key = "/subnets/" + l.subnet().toKey();
    Instant at = m.renewAt(l);
    assertTrue(Duration.between(Instant.now(), at).toMillis() < 2500);
    long firstId = get(key).getLease();
    for (int i = 0; i < 3; i++) {
      Thread.sleep(Math.max(0, Duration.between(Instant.now(), m.renewAt(l)).toMillis()));
      Lease renewed = m.renewLease(l);
      assertTrue(renewed.expiration().isAfter(l.expiration()));
      l = renewed;
    }
    // three renewals at 2 s intervals: we are past the first 5 s TTL, the key is still there
    KeyValue kv = get(key);
    assertNotNull(kv);
    assertNotEquals(firstId, kv.getLease());
    assertEquals(-1, ttlOf(firstId), "superseded lease revoked");
    assertEquals(value("192.0.2.1", "02:00:00:00:00:01"), text(kv.getValue()));
    // without renewal it expires
    Thread.sleep(6500);
    assertNull(get(key));
  }

  @Test
  void renewingADeletedOrRecreatedLeaseFails() throws Exception {
    config("{\"Network\":\"10.5.0.0/16\"}");
    EtcdSubnetManager m = manager(null);
    Lease l = m.acquireLease(attrs("192.0.2.1", "02:00:00:00:00:01"));
    // deleted, then created again by another node: no longer ours (an overwrite is restored,
    // EtcdOwnStateTest)
    delete("/subnets/" + l.subnet().toKey());
    put("/subnets/" + l.subnet().toKey(), value("192.0.2.77", "02:00:00:00:00:77"));
    SubnetException e = assertThrows(SubnetException.class, () -> m.renewLease(l));
    assertTrue(e.getMessage().contains(l.subnet().toKey()), e.getMessage());
    assertEquals(value("192.0.2.77", "02:00:00:00:00:77"), text(get("/subnets/" + l.subnet().toKey()).getValue()));
    delete("/subnets/" + l.subnet().toKey());
    assertThrows(SubnetException.class, () -> m.renewLease(l));
  }

  // ------------------------------------------------------------------ watch

  /** Collects what a watch delivers. */
  private static final class Recorder implements PeerListener {
    final BlockingQueue<List<LeaseEvent>> batches = new LinkedBlockingQueue<>();
    final List<LeaseEvent> all = new CopyOnWriteArrayList<>();
    final BlockingQueue<Lease> lost = new LinkedBlockingQueue<>();

    @Override
    public void peersChanged(PeerSet peers) {
      List<LeaseEvent> events = peers.drain().events();
      batches.add(events);
      all.addAll(events);
    }

    @Override
    public void ownLeaseLost(Lease lease) {
      lost.add(lease);
    }

    List<LeaseEvent> firstBatch() throws InterruptedException {
      List<LeaseEvent> b = batches.poll(10, TimeUnit.SECONDS);
      assertNotNull(b, "no initial batch");
      return b;
    }

    LeaseEvent await(Predicate<LeaseEvent> p, Duration timeout) throws InterruptedException {
      long end = System.nanoTime() + timeout.toNanos();
      while (System.nanoTime() < end) {
        for (LeaseEvent e : all) {
          if (p.test(e)) {
            return e;
          }
        }
        Thread.sleep(20);
      }
      throw new AssertionError("no matching event within " + timeout + "; got " + all);
    }
  }

  private static Predicate<LeaseEvent> added(String subnet, String mac) {
    return e -> e instanceof LeaseEvent.Added && e.lease().subnet().equals(IpNet.parse(subnet))
        && e.lease().attrs().backendData().get("VtepMAC").asText().equals(mac);
  }

  private static Predicate<LeaseEvent> removed(String subnet, String mac) {
    return e -> e instanceof LeaseEvent.Removed && e.lease().subnet().equals(IpNet.parse(subnet))
        && e.lease().attrs().backendData() != null
        && e.lease().attrs().backendData().get("VtepMAC").asText().equals(mac);
  }

  @Test
  void watchSeesInitialPeersThenAddChangeDelete() throws Exception {
    config("{\"Network\":\"10.5.0.0/16\",\"SubnetMin\":\"10.5.1.0\",\"SubnetMax\":\"10.5.1.0\"}");
    EtcdSubnetManager m = manager(null);
    Lease own = m.acquireLease(attrs("192.0.2.1", "02:00:00:00:00:01"));
    putWithTtl("/subnets/10.5.2.0-24", value("192.0.2.2", "02:00:00:00:00:02"));
    Recorder r = new Recorder();
    try (SubnetManager.Watch w = m.watchPeers(r)) {
      List<LeaseEvent> initial = r.firstBatch();
      assertEquals(1, initial.size(), "own lease filtered: " + initial);
      assertTrue(added("10.5.2.0/24", "02:00:00:00:00:02").test(initial.get(0)));
      putWithTtl("/subnets/10.5.3.0-24", value("192.0.2.3", "02:00:00:00:00:03"));
      r.await(added("10.5.3.0/24", "02:00:00:00:00:03"), Duration.ofSeconds(10));
      putWithTtl("/subnets/10.5.3.0-24", value("192.0.2.3", "02:00:00:00:00:33"));
      r.await(added("10.5.3.0/24", "02:00:00:00:00:33"), Duration.ofSeconds(10));
      delete("/subnets/10.5.3.0-24");
      r.await(removed("10.5.3.0/24", "02:00:00:00:00:33"), Duration.ofSeconds(10));
      put("/subnets/" + own.subnet().toKey(), value("192.0.2.1", "02:00:00:00:00:01"));
      Thread.sleep(300);
      assertTrue(r.all.stream().noneMatch(e -> e.lease().subnet().equals(own.subnet())), "own lease never reported");
      assertTrue(r.lost.isEmpty());
    }
  }

  @Test
  void initialBatchIsDeliveredEvenWhenThereAreNoPeers() throws Exception {
    config("{\"Network\":\"10.5.0.0/16\"}");
    EtcdSubnetManager m = manager(null);
    m.acquireLease(attrs("192.0.2.1", "02:00:00:00:00:01"));
    Recorder r = new Recorder();
    try (SubnetManager.Watch w = m.watchPeers(r)) {
      assertEquals(List.of(), r.firstBatch());
    }
  }

  @Test
  void badKeysAndValuesAreSkippedOthersContinue() throws Exception {
    config("{\"Network\":\"10.5.0.0/16\"}");
    put("/subnets/garbage", value("192.0.2.8", "02:00:00:00:00:08"));
    put("/subnets/10.5.4.0-24", "not json");
    putWithTtl("/subnets/10.5.5.0-24", value("192.0.2.5", "02:00:00:00:00:05"));
    EtcdSubnetManager m = manager(null);
    Lease own = m.acquireLease(attrs("192.0.2.1", "02:00:00:00:00:01"));
    assertNotEquals(IpNet.parse("10.5.4.0/24"), own.subnet(), "a key with a bad value still holds its subnet");
    Recorder r = new Recorder();
    try (SubnetManager.Watch w = m.watchPeers(r)) {
      List<LeaseEvent> initial = r.firstBatch();
      assertEquals(1, initial.size(), initial.toString());
      assertTrue(added("10.5.5.0/24", "02:00:00:00:00:05").test(initial.get(0)));
      put("/subnets/10.5.6.0-24", "{\"PublicIP\":42}");
      put("/subnets/10.5.6.7-24", value("192.0.2.6", "02:00:00:00:00:06"));
      putWithTtl("/subnets/10.5.7.0-24", value("192.0.2.7", "02:00:00:00:00:07"));
      r.await(added("10.5.7.0/24", "02:00:00:00:00:07"), Duration.ofSeconds(10));
      assertEquals(2, r.all.size(), r.all.toString());
    }
  }

  @Test
  void ownKeyDeletedIsReported() throws Exception {
    config("{\"Network\":\"10.5.0.0/16\"}");
    EtcdSubnetManager m = manager(null);
    Lease own = m.acquireLease(attrs("192.0.2.1", "02:00:00:00:00:01"));
    Recorder r = new Recorder();
    try (SubnetManager.Watch w = m.watchPeers(r)) {
      r.firstBatch();
      delete("/subnets/" + own.subnet().toKey());
      Lease lost = r.lost.poll(10, TimeUnit.SECONDS);
      assertEquals(own, lost);
    }
  }

  /** The first watch reuses the acquisition's parsed entries only where the revision is unchanged. */
  @Test
  void firstWatchSeesLeasesChangedSinceTheAcquisitionListing() throws Exception {
    config("{\"Network\":\"10.5.0.0/16\",\"SubnetMin\":\"10.5.1.0\",\"SubnetMax\":\"10.5.1.0\"}");
    putWithTtl("/subnets/10.5.2.0-24", value("192.0.2.2", "02:00:00:00:00:02"));
    putWithTtl("/subnets/10.5.3.0-24", value("192.0.2.3", "02:00:00:00:00:03"));
    putWithTtl("/subnets/10.5.4.0-24", value("192.0.2.4", "02:00:00:00:00:04"));
    EtcdSubnetManager m = manager(null);
    m.acquireLease(attrs("192.0.2.1", "02:00:00:00:00:01"));
    putWithTtl("/subnets/10.5.3.0-24", value("192.0.2.3", "02:00:00:00:00:33"));
    delete("/subnets/10.5.4.0-24");
    Recorder r = new Recorder();
    try (SubnetManager.Watch w = m.watchPeers(r)) {
      List<LeaseEvent> initial = r.firstBatch();
      assertEquals(2, initial.size(), initial.toString());
      assertTrue(initial.stream().anyMatch(added("10.5.2.0/24", "02:00:00:00:00:02")), initial.toString());
      assertTrue(initial.stream().anyMatch(added("10.5.3.0/24", "02:00:00:00:00:33")), initial.toString());
    }
  }

  @Test
  void watchRecoversFromCompactionByRelisting() throws Exception {
    config("{\"Network\":\"10.5.0.0/16\",\"SubnetMin\":\"10.5.1.0\",\"SubnetMax\":\"10.5.1.0\"}");
    EtcdSubnetManager m = manager(null);
    m.acquireLease(attrs("192.0.2.1", "02:00:00:00:00:01"));
    putWithTtl("/subnets/10.5.2.0-24", value("192.0.2.2", "02:00:00:00:00:02"));
    AtomicBoolean once = new AtomicBoolean();
    AtomicInteger lists = new AtomicInteger();
    m.afterList = rev -> {
      lists.incrementAndGet();
      if (once.compareAndSet(false, true)) {
        // changes and a compaction between the listing and the watch: the watch from rev+1
        // is refused as compacted and the manager must re-list to catch up
        try {
          putWithTtl("/subnets/10.5.3.0-24", value("192.0.2.3", "02:00:00:00:00:03"));
          delete("/subnets/10.5.2.0-24");
          long now = client.getKVClient().get(b(prefix + "/config")).get(5, TimeUnit.SECONDS).getHeader().getRevision();
          client.getKVClient().compact(now).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      }
    };
    Recorder r = new Recorder();
    try (SubnetManager.Watch w = m.watchPeers(r)) {
      assertTrue(added("10.5.2.0/24", "02:00:00:00:00:02").test(r.firstBatch().get(0)));
      r.await(added("10.5.3.0/24", "02:00:00:00:00:03"), Duration.ofSeconds(10));
      r.await(removed("10.5.2.0/24", "02:00:00:00:00:02"), Duration.ofSeconds(10));
      assertTrue(lists.get() >= 2, "re-listed");
      putWithTtl("/subnets/10.5.4.0-24", value("192.0.2.4", "02:00:00:00:00:04"));
      r.await(added("10.5.4.0/24", "02:00:00:00:00:04"), Duration.ofSeconds(10));
    }
  }

  @Test
  void watchSurvivesAnEtcdRestart() throws Exception {
    config("{\"Network\":\"10.5.0.0/16\"}");
    EtcdSubnetManager m = manager(null);
    m.acquireLease(attrs("192.0.2.1", "02:00:00:00:00:01"));
    Recorder r = new Recorder();
    try (SubnetManager.Watch w = m.watchPeers(r)) {
      r.firstBatch();
      etcd.stop();
      assertThrows(java.io.IOException.class, () -> new java.net.Socket("127.0.0.1",
          java.net.URI.create(etcd.endpoint()).getPort()).close(), "etcd is down");
      Thread.sleep(1500);
      etcd.launch();
      putWithTtl("/subnets/10.5.200.0-24", value("192.0.2.200", "02:00:00:00:00:c8"));
      r.await(added("10.5.200.0/24", "02:00:00:00:00:c8"), Duration.ofSeconds(30));
      putWithTtl("/subnets/10.5.201.0-24", value("192.0.2.201", "02:00:00:00:00:c9"));
      r.await(added("10.5.201.0/24", "02:00:00:00:00:c9"), Duration.ofSeconds(10));
    }
  }

  @Test
  void periodicResyncRebuildsTheWatchWithoutDuplicateEvents() throws Exception {
    config("{\"Network\":\"10.5.0.0/16\"}");
    EtcdSubnetManager m = manager(null);
    m.acquireLease(attrs("192.0.2.1", "02:00:00:00:00:01"));
    m.resyncMs = 200;
    AtomicInteger lists = new AtomicInteger();
    m.afterList = rev -> lists.incrementAndGet();
    Recorder r = new Recorder();
    try (SubnetManager.Watch w = m.watchPeers(r)) {
      r.firstBatch();
      putWithTtl("/subnets/10.5.9.0-24", value("192.0.2.9", "02:00:00:00:00:09"));
      r.await(added("10.5.9.0/24", "02:00:00:00:00:09"), Duration.ofSeconds(10));
      Thread.sleep(1200);
      assertTrue(lists.get() >= 4, "resynced " + lists.get() + " times");
      assertEquals(1, r.all.size(), r.all.toString());
      delete("/subnets/10.5.9.0-24");
      r.await(removed("10.5.9.0/24", "02:00:00:00:00:09"), Duration.ofSeconds(10));
      Thread.sleep(500);
      assertEquals(2, r.all.size(), r.all.toString());
    }
  }

  @Test
  void closeStopsDelivery() throws Exception {
    config("{\"Network\":\"10.5.0.0/16\"}");
    EtcdSubnetManager m = manager(null);
    Recorder r = new Recorder();
    SubnetManager.Watch w = m.watchPeers(r);
    r.firstBatch();
    w.close();
    putWithTtl("/subnets/10.5.9.0-24", value("192.0.2.9", "02:00:00:00:00:09"));
    Thread.sleep(500);
    assertTrue(r.all.isEmpty(), r.all.toString());
    m.close();
    assertThrows(SubnetException.class, () -> m.watchPeers(r));
    assertFalse(Thread.getAllStackTraces().keySet().stream()
        .anyMatch(t -> t.isAlive() && t.getName().startsWith("jfl-etcd-watch") && managers.size() == 1),
        "watch thread stopped");
  }
}
