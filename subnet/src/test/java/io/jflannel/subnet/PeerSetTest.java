package io.jflannel.subnet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.InetAddress;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PeerSetTest {
  private static final ObjectMapper M = new ObjectMapper();

  private static LeaseAttrs attrs(String ip, String mac) throws Exception {
    return new LeaseAttrs(InetAddress.getByName(ip), null, "vxlan",
        M.readTree("{\"VNI\":1,\"VtepMAC\":\"" + mac + "\"}"), null);
  }

  private static Lease lease(String subnet, LeaseAttrs a) {
    return new Lease(IpNet.parse(subnet), null, a, null);
  }

  private final Lease own;
  private final Lease a;
  private final Lease b;
  private final Lease c;
  private final PeerSet set = new PeerSet();

  PeerSetTest() throws Exception {
    own = lease("10.244.1.0/24", attrs("192.0.2.1", "02:00:00:00:00:01"));
    a = lease("10.244.2.0/24", attrs("192.0.2.2", "02:00:00:00:00:02"));
    b = lease("10.244.3.0/24", attrs("192.0.2.3", "02:00:00:00:00:03"));
    c = lease("10.244.4.0/24", attrs("192.0.2.4", "02:00:00:00:00:04"));
    set.own(own.key());
  }

  @Test
  void theFirstDrainIsFullEvenWhenEmpty() {
    PeerChanges first = set.drain();
    assertTrue(first.full());
    assertTrue(first.isEmpty());
    assertFalse(set.drain().full());
  }

  @Test
  void aBurstOfChangesYieldsOneDrainWithOnlyThoseKeys() throws Exception {
    set.reset(List.of(a, b, c));
    set.drain();
    Lease a2 = lease("10.244.2.0/24", attrs("192.0.2.2", "02:00:00:00:00:22"));
    Lease a3 = lease("10.244.2.0/24", attrs("192.0.2.2", "02:00:00:00:00:23"));
    set.put(a2);
    set.put(a3);
    set.remove(b.key());
    Lease d = lease("10.244.5.0/24", attrs("192.0.2.5", "02:00:00:00:00:05"));
    set.put(d);
    PeerChanges ch = set.drain();
    assertFalse(ch.full());
    assertEquals(Map.of(a.key(), a3, d.key(), d), ch.changed(), "each changed key once, with its newest lease");
    assertEquals(Map.of(b.key(), b), ch.removed());
    assertEquals(3, ch.size());
    assertTrue(set.drain().isEmpty(), "nothing twice");
  }

  @Test
  void aRemovedPeerIsRemovedOnceAndAnUnknownRemovalIsNothing() {
    set.put(a);
    set.drain();
    assertTrue(set.remove(a.key()));
    assertFalse(set.remove(a.key()));
    assertFalse(set.remove(c.key()));
    PeerChanges ch = set.drain();
    assertEquals(Map.of(a.key(), a), ch.removed());
    assertTrue(ch.changed().isEmpty());
    assertTrue(set.drain().isEmpty());
  }

  @Test
  void aRemovalCarriesTheLeaseLastDrained() {
    set.put(a);
    set.drain();
    set.remove(a.key());
    assertSame(a, set.drain().removed().get(a.key()));
  }

  @Test
  void addedAndRemovedBetweenDrainsIsNoChange() throws Exception {
    set.drain();
    set.put(a);
    set.remove(a.key());
    set.put(b);
    Lease bBack = lease("10.244.3.0/24", attrs("192.0.2.3", "02:00:00:00:00:09"));
    set.put(bBack);
    PeerChanges ch = set.drain();
    assertEquals(Map.of(b.key(), bBack), ch.changed());
    assertTrue(ch.removed().isEmpty());
  }

  @Test
  void changedAndChangedBackIsNoChange() throws Exception {
    set.put(a);
    set.drain();
    set.put(lease("10.244.2.0/24", attrs("192.0.2.9", "02:00:00:00:00:02")));
    set.put(a);
    assertTrue(set.drain().isEmpty());
  }

  @Test
  void aRenewalIsUnchanged() {
    set.put(a);
    set.drain();
    Lease renewed = new Lease(a.subnet(), null, a.attrs(), Instant.parse("2030-01-01T00:00:00Z"));
    assertEquals(PeerSet.Outcome.UNCHANGED, set.put(renewed));
    assertTrue(set.drain().isEmpty());
  }

  @Test
  void theOwnLeaseIsNeverAPeerEvenWithOtherAttrs() throws Exception {
    assertEquals(PeerSet.Outcome.OWN, set.put(own));
    assertEquals(PeerSet.Outcome.OWN, set.put(lease("10.244.1.0/24", attrs("192.0.2.99", "02:00:00:00:00:99"))));
    set.reset(List.of(own, a));
    assertEquals(Set.of(a.key()), set.drain().changed().keySet());
    assertFalse(set.remove(own.key()));
  }

  @Test
  void aResetReportsTheDifferenceAndIsFull() {
    set.reset(List.of(a, b));
    set.drain();
    assertFalse(set.reset(List.of(a, b)), "an unchanged listing changes nothing");
    assertFalse(set.drain().full());
    assertTrue(set.reset(List.of(b, c)));
    PeerChanges ch = set.drain();
    assertTrue(ch.full());
    assertEquals(Set.of(c.key()), ch.changed().keySet());
    assertEquals(Set.of(a.key()), ch.removed().keySet());
  }

  @Test
  void theFirstHolderKeepsASubnetAndTheDuplicatesRemovalTouchesNothing() throws Exception {
    Lease impostor = lease("10.244.2.0/24", attrs("192.0.2.66", "02:00:00:00:00:66"));
    assertEquals(PeerSet.Outcome.ADDED, set.put("node-a", a));
    set.drain();
    assertEquals(PeerSet.Outcome.DUPLICATE, set.put("node-x", impostor));
    assertSame(a, set.get(a.key()));
    assertEquals("node-a", set.holder(a.key()));
    assertTrue(set.drain().isEmpty());
    assertFalse(set.removeHolder("node-x"));
    assertTrue(set.drain().isEmpty());
    assertSame(a, set.get(a.key()));
  }

  @Test
  void aWaitingDuplicateTakesTheSubnetOnceItsHolderLetsGo() throws Exception {
    Lease second = lease("10.244.2.0/24", attrs("192.0.2.66", "02:00:00:00:00:66"));
    set.put("node-a", a);
    set.put("node-x", second);
    set.drain();
    assertTrue(set.removeHolder("node-a"));
    assertEquals("node-x", set.holder(a.key()));
    PeerChanges ch = set.drain();
    assertEquals(Map.of(a.key(), second), ch.changed());
    assertTrue(ch.removed().isEmpty());
  }

  @Test
  void aHolderMovingToAnotherSubnetLetsTheOldOneGo() throws Exception {
    set.put("node-a", a);
    set.drain();
    Lease moved = lease("10.244.9.0/24", a.attrs());
    set.put("node-a", moved);
    PeerChanges ch = set.drain();
    assertEquals(Map.of(a.key(), a), ch.removed());
    assertEquals(Map.of(moved.key(), moved), ch.changed());
    assertNull(set.get(a.key()));
  }

  @Test
  void aHolderClaimingTheOwnSubnetIsRefused() {
    assertEquals(PeerSet.Outcome.OWN, set.put("node-x", own));
    assertNull(set.holder(own.key()));
    assertEquals(0, set.size());
  }

  @Test
  void resetByHolderKeepsCurrentHoldersAndJudgesNewcomersInOrder() throws Exception {
    Lease second = lease("10.244.2.0/24", attrs("192.0.2.66", "02:00:00:00:00:66"));
    set.put("node-b", a);
    set.drain();
    Map<String, Lease> listing = new java.util.LinkedHashMap<>();
    listing.put("node-a", second);
    listing.put("node-b", a);
    assertFalse(set.resetHolders(listing));
    assertEquals("node-b", set.holder(a.key()), "the holder keeps it though another is listed first");
  }

  @Test
  void aPeerKeepsOneKeyStringAcrossUpdates() throws Exception {
    set.put(a);
    set.drain();
    Lease a2 = lease("10.244.2.0/24", attrs("192.0.2.2", "02:00:00:00:00:22"));
    assertFalse(a2.key() == a.key(), "the fixture builds a new key String per lease");
    set.put(a2);
    Lease drained = set.drain().changed().get(a.key());
    assertEquals(a2.attrs(), drained.attrs());
    assertSame(a.key(), drained.key());
    assertSame(a.key(), set.get(a.key()).key());

    set.reset(List.of(lease("10.244.2.0/24", attrs("192.0.2.2", "02:00:00:00:00:23"))));
    assertSame(a.key(), set.drain().changed().get(a.key()).key());

    PeerSet byHolder = new PeerSet();
    byHolder.put("node-a", a);
    byHolder.put("node-a", a2);
    assertSame(a.key(), byHolder.get(a.key()).key());
    assertSame(a.key(), byHolder.keyOf("node-a"));
  }
}
