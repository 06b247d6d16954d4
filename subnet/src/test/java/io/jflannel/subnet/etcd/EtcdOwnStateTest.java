package io.jflannel.subnet.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.LeaseOption;
import io.jflannel.subnet.Lease;
import io.jflannel.subnet.LeaseAttrs;
import io.jflannel.subnet.LeaseEvent;
import io.jflannel.subnet.PeerListener;
import io.jflannel.subnet.PeerSet;
import io.jflannel.subnet.SubnetManager;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * This node's own state in a real etcd (issue 18, items 7 and 9): our key overwritten by
 * another writer is put back and renewals keep working; a writer that keeps overwriting it
 * stops the daemon; a re-list that fails is counted and reported until one succeeds.
 */
class EtcdOwnStateTest {
  private static final ObjectMapper M = new ObjectMapper();
  private static final AtomicInteger PREFIXES = new AtomicInteger();
  private static EtcdServer etcd;
  private static Client client;

  private String prefix;
  private final List<EtcdSubnetManager> managers = new ArrayList<>();

  @BeforeAll
  static void startEtcd() throws Exception {
    EtcdServer.requireEtcd();
    // accepts a value larger than the 16 MiB the daemon's client takes in one message (item 7)
    etcd = EtcdServer.start("http", List.of("--max-request-bytes", String.valueOf(24 << 20)));
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
  void newPrefix(TestInfo info) throws Exception {
    prefix = "/jfl-own/" + PREFIXES.incrementAndGet() + "-" + info.getTestMethod().orElseThrow().getName();
    put("/config", "{\"Network\":\"10.5.0.0/16\"}");
  }

  @AfterEach
  void closeManagers() {
    managers.forEach(EtcdSubnetManager::close);
  }

  private EtcdSubnetManager manager() throws Exception {
    EtcdOptions o = EtcdOptions.of(List.of(etcd.endpoint())).withPrefix(prefix)
        .withLease(Duration.ofHours(24), Duration.ofMinutes(60)).withOpTimeout(Duration.ofSeconds(5));
    EtcdSubnetManager m = new EtcdSubnetManager(o, null);
    managers.add(m);
    return m;
  }

  private static ByteSequence b(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }

  private void put(String key, String value) throws Exception {
    client.getKVClient().put(b(prefix + key), b(value)).get(5, TimeUnit.SECONDS);
  }

  private void delete(String key) throws Exception {
    client.getKVClient().delete(b(prefix + key)).get(5, TimeUnit.SECONDS);
  }

  private KeyValue get(String key) throws Exception {
    List<KeyValue> kvs = client.getKVClient().get(b(prefix + key)).get(5, TimeUnit.SECONDS).getKvs();
    return kvs.isEmpty() ? null : kvs.get(0);
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

  private static void await(String what, BooleanSupplier done) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < end) {
      if (done.getAsBoolean()) {
        return;
      }
      Thread.sleep(50);
    }
    throw new AssertionError("timed out waiting for " + what);
  }

  private BooleanSupplier valueIs(String key, String expected) {
    return () -> {
      try {
        KeyValue kv = get(key);
        return kv != null && text(kv.getValue()).equals(expected);
      } catch (Exception e) {
        return false;
      }
    };
  }

  /** What a watch delivers, plus the own-state reports. */
  private static final class Recorder implements PeerListener {
    final List<LeaseEvent> all = new CopyOnWriteArrayList<>();
    final BlockingQueue<Boolean> batches = new LinkedBlockingQueue<>();
    final BlockingQueue<Lease> lost = new LinkedBlockingQueue<>();
    final BlockingQueue<String> failed = new LinkedBlockingQueue<>();

    @Override
    public void peersChanged(PeerSet peers) {
      all.addAll(peers.drain().events());
      batches.add(true);
    }

    @Override
    public void ownLeaseLost(Lease lease) {
      lost.add(lease);
    }

    @Override
    public void ownStateFailed(String reason) {
      failed.add(reason);
    }

    void firstBatch() throws InterruptedException {
      assertNotNull(batches.poll(10, TimeUnit.SECONDS), "no initial batch");
    }
  }

  // ------------------------------------------------------------------ item 9

  @Test
  void ownKeyOverwrittenByAnotherWriterIsRestoredAndRenewalKeepsWorking() throws Exception {
    EtcdSubnetManager m = manager();
    Lease own = m.acquireLease(attrs("192.0.2.1", "02:00:00:00:00:01"));
    String key = "/subnets/" + own.subnet().toKey();
    String ours = text(get(key).getValue());
    long ourEtcdLease = get(key).getLease();
    Recorder r = new Recorder();
    try (SubnetManager.Watch w = m.watchPeers(r)) {
      r.firstBatch();
      // someone else's value, on no etcd lease: peers would send our pods' traffic to 192.0.2.66
      put(key, value("192.0.2.66", "02:00:00:00:00:66"));
      await("our value back", valueIs(key, ours));
      assertEquals(ourEtcdLease, get(key).getLease(), "back on our etcd lease, so it still expires with it");
      // ... and it is never a peer, nor the lease lost
      assertTrue(r.all.isEmpty(), r.all.toString());
      assertNull(r.lost.poll(200, TimeUnit.MILLISECONDS));
      Lease renewed = m.renewLease(own);
      assertTrue(renewed.expiration().isAfter(own.expiration()));
      assertEquals(ours, text(get(key).getValue()));
    }
  }

  @Test
  void anOverwriteTheWatchDidNotSeeIsRestoredByTheRenewal() throws Exception {
    EtcdSubnetManager m = manager();
    Lease own = m.acquireLease(attrs("192.0.2.1", "02:00:00:00:00:01"));
    String key = "/subnets/" + own.subnet().toKey();
    String ours = text(get(key).getValue());
    long before = get(key).getLease();
    put(key, "not even json");
    Lease renewed = m.renewLease(own); // upstream re-puts its value at renewal; so do we
    assertEquals(ours, text(get(key).getValue()));
    assertNotEquals(0, get(key).getLease());
    assertNotEquals(before, get(key).getLease());
    assertEquals(-1, client.getLeaseClient().timeToLive(before, LeaseOption.DEFAULT).get(5, TimeUnit.SECONDS)
        .getTTL(), "our superseded etcd lease is revoked");
    assertTrue(renewed.expiration().isAfter(own.expiration()));
  }

  @Test
  void aKeyDeletedAndWrittenAgainWhileTheWatchWasDownIsLost() throws Exception {
    EtcdSubnetManager m = manager();
    Lease own = m.acquireLease(attrs("192.0.2.1", "02:00:00:00:00:01"));
    String key = "/subnets/" + own.subnet().toKey();
    // before the watch starts: its first listing finds the key created by someone else
    delete(key);
    put(key, value("192.0.2.66", "02:00:00:00:00:66"));
    Recorder r = new Recorder();
    try (SubnetManager.Watch w = m.watchPeers(r)) {
      assertEquals(own, r.lost.poll(10, TimeUnit.SECONDS));
      assertEquals(value("192.0.2.66", "02:00:00:00:00:66"), text(get(key).getValue()), "not overwritten");
    }
  }

  @Test
  void aWriterThatKeepsOverwritingOurKeyStopsTheDaemonInsteadOfAFight() throws Exception {
    EtcdSubnetManager m = manager();
    Lease own = m.acquireLease(attrs("192.0.2.1", "02:00:00:00:00:01"));
    String key = "/subnets/" + own.subnet().toKey();
    String ours = text(get(key).getValue());
    Recorder r = new Recorder();
    try (SubnetManager.Watch w = m.watchPeers(r)) {
      r.firstBatch();
      for (int i = 1; i <= 3; i++) {
        put(key, value("192.0.2.66", "02:00:00:00:00:6" + i));
        await("restoration " + i, valueIs(key, ours));
      }
      assertNull(r.failed.poll(100, TimeUnit.MILLISECONDS));
      put(key, value("192.0.2.66", "02:00:00:00:00:69"));
      String why = r.failed.poll(10, TimeUnit.SECONDS);
      assertNotNull(why, "no own-state failure after the fourth overwrite");
      assertTrue(why.contains(prefix + key) && why.contains("keeps being overwritten")
          && why.contains("192.0.2.66"), why);
      assertEquals(value("192.0.2.66", "02:00:00:00:00:69"), text(get(key).getValue()), "not fought over");
    }
  }

  // ------------------------------------------------------------------ item 7

  /**
   * A listing that cannot succeed: one value larger than the 16 MiB the client accepts in a
   * message (pages are split down to one key, and that key alone is too large; possible only
   * with an etcd whose {@code --max-request-bytes} was raised that far). The failure is counted
   * and reported until a listing succeeds again.
   */
  @Test
  void aFailingRelistIsCountedAndReportedUntilOneSucceeds() throws Exception {
    EtcdSubnetManager m = manager();
    m.acquireLease(attrs("192.0.2.1", "02:00:00:00:00:01"));
    m.resyncMs = 300; // re-list often instead of every 5 minutes
    Recorder r = new Recorder();
    try (SubnetManager.Watch w = m.watchPeers(r)) {
      r.firstBatch();
      assertEquals(0, m.peerListFailures());
      assertTrue(m.peerListProblem().isEmpty());
      put("/subnets/big", "x".repeat(EtcdRegistry.MAX_INBOUND_BYTES + 1));
      await("a failed listing", () -> m.peerListProblem().isPresent());
      String problem = m.peerListProblem().orElseThrow();
      assertTrue(problem.contains("RESOURCE_EXHAUSTED") && problem.contains(prefix + "/subnets/")
          && problem.contains("a single key under " + prefix + "/subnets/ is larger than the 16 MiB"), problem);
      assertTrue(m.peerListFailures() >= 1);
      delete("/subnets/big");
      await("a listing that works again", () -> m.peerListProblem().isEmpty());
      long failures = m.peerListFailures();
      put("/subnets/10.5.9.0-24", value("192.0.2.9", "02:00:00:00:00:09"));
      await("the peer written afterwards", () -> r.all.stream().anyMatch(e -> e instanceof LeaseEvent.Added
          && e.lease().key().equals("10.5.9.0-24")));
      assertEquals(failures, m.peerListFailures(), "no failure once the store is small again");
    }
  }
}
