package io.jflannel.subnet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.InetAddress;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class LeaseWatcherTest {
  private static final ObjectMapper M = new ObjectMapper();
  private static final LeaseAttrs NO_ATTRS = new LeaseAttrs(null, null, null, null, null);

  private static LeaseAttrs attrs(String ip, String mac) throws Exception {
    return new LeaseAttrs(InetAddress.getByName(ip), null, "vxlan",
        M.readTree("{\"VNI\":1,\"VtepMAC\":\"" + mac + "\"}"), null);
  }

  private static Lease lease(String subnet, LeaseAttrs a) {
    return new Lease(IpNet.parse(subnet), null, a, Instant.parse("2030-01-01T00:00:00Z"));
  }

  private static LeaseEvent.Added added(Lease l) {
    return new LeaseEvent.Added(l);
  }

  private static LeaseEvent.Removed removed(Lease l) {
    return new LeaseEvent.Removed(l);
  }

  private final Lease own;
  private final Lease a;
  private final Lease b;
  private final Lease c;

  LeaseWatcherTest() throws Exception {
    own = lease("10.244.1.0/24", attrs("192.0.2.1", "02:00:00:00:00:01"));
    a = lease("10.244.2.0/24", attrs("192.0.2.2", "02:00:00:00:00:02"));
    b = lease("10.244.3.0/24", attrs("192.0.2.3", "02:00:00:00:00:03"));
    c = lease("10.244.4.0/24", attrs("192.0.2.4", "02:00:00:00:00:04"));
  }

  @Test
  void addsArePassedOnAndRemembered() {
    LeaseWatcher w = new LeaseWatcher(own);
    assertEquals(List.of(added(a), added(b)), w.apply(List.of(added(a), added(b))));
    assertEquals(List.of(a, b), w.peers());
    assertEquals(java.util.Map.of(a.key(), a, b.key(), b), w.peersByKey());
  }

  @Test
  void ownLeaseIsFilteredEvenWithOtherAttrs() throws Exception {
    LeaseWatcher w = new LeaseWatcher(own);
    Lease ownChanged = lease("10.244.1.0/24", attrs("192.0.2.99", "02:00:00:00:00:99"));
    assertEquals(List.of(added(a)), w.apply(List.of(added(own), added(ownChanged), added(a))));
    assertEquals(List.of(), w.apply(List.of(removed(own))));
    assertEquals(List.of(a), w.peers());
  }

  @Test
  void removalCarryingOnlyTheSubnetGetsLastKnownAttrs() {
    LeaseWatcher w = new LeaseWatcher(own);
    w.apply(List.of(added(a)));
    Lease bare = lease("10.244.2.0/24", NO_ATTRS);
    List<LeaseEvent> out = w.apply(List.of(removed(bare)));
    assertEquals(List.of(removed(a)), out);
    assertSame(a, out.get(0).lease());
    assertEquals(List.of(), w.peers());
  }

  @Test
  void removalOfUnknownKeyIsDropped() {
    LeaseWatcher w = new LeaseWatcher(own);
    assertEquals(List.of(), w.apply(List.of(removed(a))));
    w.apply(List.of(added(a), removed(a)));
    assertEquals(List.of(), w.apply(List.of(removed(a))));
  }

  @Test
  void addWithDifferentAttrsIsAChange() throws Exception {
    LeaseWatcher w = new LeaseWatcher(own);
    w.apply(List.of(added(a)));
    Lease a2 = lease("10.244.2.0/24", attrs("192.0.2.2", "02:00:00:00:00:22"));
    assertEquals(List.of(added(a2)), w.apply(List.of(added(a2))));
    assertEquals(List.of(a2), w.peers());
    // and the removal now reports the newest attrs
    assertEquals(List.of(removed(a2)), w.apply(List.of(removed(lease("10.244.2.0/24", NO_ATTRS)))));
  }

  @Test
  void addWithEqualAttrsIsSwallowedButExpirationIsKept() throws Exception {
    LeaseWatcher w = new LeaseWatcher(own);
    w.apply(List.of(added(a)));
    Lease renewed = new Lease(a.subnet(), null, attrs("192.0.2.2", "02:00:00:00:00:02"), Instant.parse("2031-01-01T00:00:00Z"));
    assertEquals(List.of(), w.apply(List.of(added(renewed))));
    assertEquals(renewed.expiration(), w.peer(a.key()).expiration());
  }

  @Test
  void mixedBatchInOrder() {
    LeaseWatcher w = new LeaseWatcher(own);
    assertEquals(List.of(added(a), removed(a), added(b), added(a)),
        w.apply(List.of(added(a), removed(a), added(b), added(a))));
    assertEquals(Set.of(a, b), Set.copyOf(w.peers()));
  }

  @Test
  void nullOwnLeaseFiltersNothing() {
    LeaseWatcher w = new LeaseWatcher(null);
    assertEquals(List.of(added(own)), w.apply(List.of(added(own))));
  }

  @Test
  void dualStackKeysAreDistinctFromSingleStack() throws Exception {
    Lease dual = new Lease(IpNet.parse("10.244.2.0/24"), IpNet.parse("fc00:0:0:2::/64"), a.attrs(), null);
    LeaseWatcher w = new LeaseWatcher(own);
    w.apply(List.of(added(a), added(dual)));
    assertEquals(2, w.peers().size());
    assertEquals(dual, w.peer("10.244.2.0-24&fc00:0:0:2::-64"));
    Lease ownDual = new Lease(own.subnet(), IpNet.parse("fc00:0:0:1::/64"), own.attrs(), null);
    LeaseWatcher wd = new LeaseWatcher(ownDual);
    assertEquals(List.of(), wd.apply(List.of(added(ownDual))));
  }

  @Test
  void resetOnEmptyViewAddsEverythingButOwn() {
    LeaseWatcher w = new LeaseWatcher(own);
    assertEquals(List.of(added(a), added(b)), w.reset(List.of(own, a, b)));
    assertEquals(List.of(a, b), w.peers());
  }

  @Test
  void resetReconcilesVanishedNewChangedAndUnchanged() throws Exception {
    LeaseWatcher w = new LeaseWatcher(own);
    w.apply(List.of(added(a), added(b)));
    Lease b2 = lease("10.244.3.0/24", attrs("192.0.2.33", "02:00:00:00:00:33"));
    List<LeaseEvent> out = w.reset(List.of(b2, c, own));
    assertEquals(List.of(removed(a), added(b2), added(c)), out);
    assertEquals(Set.of(b2, c), Set.copyOf(w.peers()));
  }

  @Test
  void resetWithSameSnapshotIsSilent() {
    LeaseWatcher w = new LeaseWatcher(own);
    w.reset(List.of(a, b));
    assertEquals(List.of(), w.reset(List.of(b, a)));
  }

  @Test
  void resetToEmptyRemovesAllWithLastKnownLeases() {
    LeaseWatcher w = new LeaseWatcher(own);
    w.apply(List.of(added(a), added(b)));
    assertEquals(List.of(removed(a), removed(b)), w.reset(List.of()));
    assertTrue(w.peers().isEmpty());
  }

  @Test
  void resetThenEventsContinueFromTheNewView() {
    LeaseWatcher w = new LeaseWatcher(own);
    w.apply(List.of(added(a)));
    w.reset(List.of(b));
    assertEquals(List.of(), w.apply(List.of(removed(a))));
    assertEquals(List.of(removed(b)), w.apply(List.of(removed(lease("10.244.3.0/24", NO_ATTRS)))));
  }

  @Test
  void resetWithDuplicateKeysKeepsTheLast() throws Exception {
    LeaseWatcher w = new LeaseWatcher(own);
    Lease a2 = lease("10.244.2.0/24", attrs("192.0.2.2", "02:00:00:00:00:22"));
    assertEquals(List.of(added(a2)), w.reset(List.of(a, a2)));
  }

  @Test
  void peersIsASnapshotCopy() {
    LeaseWatcher w = new LeaseWatcher(own);
    w.apply(List.of(added(a)));
    List<Lease> view = w.peers();
    w.apply(List.of(added(b)));
    assertEquals(1, view.size());
    assertNull(w.peer("10.9.9.0-24"));
  }

  /** Any sequence of events ends in the same view as a reset to the final state. */
  @Test
  void applyAndResetAgreeOnRandomSequences() throws Exception {
    java.util.Random rnd = new java.util.Random(42);
    Lease[] pool = new Lease[8];
    for (int i = 0; i < pool.length; i++) {
      pool[i] = lease("10.244." + (10 + i % 4) + ".0/24", attrs("192.0.2." + (10 + i), "02:00:00:00:00:" + (10 + i)));
    }
    for (int round = 0; round < 200; round++) {
      LeaseWatcher incremental = new LeaseWatcher(own);
      java.util.Map<String, Lease> truth = new java.util.LinkedHashMap<>();
      for (int step = 0; step < 20; step++) {
        Lease l = pool[rnd.nextInt(pool.length)];
        if (rnd.nextBoolean()) {
          incremental.apply(List.of(added(l)));
          truth.put(l.key(), l);
        } else {
          incremental.apply(List.of(removed(lease(l.subnet().toString(), NO_ATTRS))));
          truth.remove(l.key());
        }
      }
      assertEquals(Set.copyOf(truth.values()), Set.copyOf(incremental.peers()));
      LeaseWatcher fresh = new LeaseWatcher(own);
      fresh.reset(incremental.peers());
      assertEquals(List.of(), fresh.reset(truth.values()));
      Set<String> keys = incremental.reset(List.of()).stream().map(e -> e.lease().key()).collect(Collectors.toSet());
      assertEquals(truth.keySet(), keys);
    }
  }
  @Test
  void anEqualLeaseKeepsTheInstanceConsumersHold() throws Exception {
    LeaseWatcher w = new LeaseWatcher(own);
    w.apply(List.of(added(a)));
    Lease again = lease("10.244.2.0/24", attrs("192.0.2.2", "02:00:00:00:00:02"));
    assertEquals(a, again);
    // A renewal (equal lease, new object) is swallowed and the view keeps the first instance.
    assertEquals(List.of(), w.apply(List.of(added(again))));
    assertSame(a, w.peer(a.key()));
    // So does a re-list that finds it unchanged.
    assertEquals(List.of(), w.reset(List.of(again)));
    assertSame(a, w.peer(a.key()));
    // A changed lease replaces it.
    Lease moved = lease("10.244.2.0/24", attrs("192.0.2.22", "02:00:00:00:00:02"));
    assertEquals(List.of(added(moved)), w.reset(List.of(moved)));
    assertSame(moved, w.peer(a.key()));
  }

  @Test
  void theKeyIsBuiltOnce() {
    assertSame(a.key(), a.key());
    assertEquals("10.244.2.0-24", a.key());
    Lease dual = new Lease(IpNet.parse("10.244.2.0/24"), IpNet.parse("fc00:0:0:1::/64"), NO_ATTRS, null);
    assertEquals("10.244.2.0-24&fc00:0:0:1::-64", dual.key());
    assertEquals(new Lease(IpNet.parse("10.244.2.0/24"), IpNet.parse("fc00:0:0:1::/64"), NO_ATTRS, null), dual);
    assertEquals(dual.hashCode(),
        new Lease(IpNet.parse("10.244.2.0/24"), IpNet.parse("fc00:0:0:1::/64"), NO_ATTRS, null).hashCode());
    assertTrue(!dual.equals(new Lease(IpNet.parse("10.244.2.0/24"), null, NO_ATTRS, null)));
  }
}
