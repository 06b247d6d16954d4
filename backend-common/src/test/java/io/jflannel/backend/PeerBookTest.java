package io.jflannel.backend;

import static io.jflannel.backend.Leases.vxlan;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jflannel.subnet.IpNet;
import io.jflannel.subnet.Lease;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PeerBookTest {
  private final PeerValidator v = new PeerValidator(IpNet.parse("10.244.0.0/16"), IpNet.parse("10.244.1.0/24"),
      "vxlan", new TestDataplane(null, IpNet.parse("10.244.0.0/16")).peerCheck(),
      l -> "VTEP MAC " + l.attrs().backendData().path("VtepMAC").asText());
  private final PeerBook book = new PeerBook(v);
  private final PeerFeed feed = new PeerFeed();

  /** Takes {@code b} to exactly {@code next}, as a store's drains would. */
  private static Set<String> update(PeerBook b, PeerFeed f, Map<String, Lease> next) {
    return b.update(f.next(next));
  }

  private Set<String> update(Map<String, Lease> next) {
    return update(book, feed, next);
  }

  private static boolean sameData(Lease a, Lease b) {
    return a == b || a.sameSubnets(b) && a.attrs().equals(b.attrs());
  }

  private static Map<String, Lease> byKey(Lease... leases) {
    Map<String, Lease> m = new LinkedHashMap<>();
    for (Lease l : leases) {
      m.put(l.key(), l);
    }
    return m;
  }

  @Test
  void firstUpdateMatchesAFullValidation() {
    Lease a = vxlan("10.244.2.0/24", "192.0.2.2", "2a:00:00:00:00:02");
    Lease wide = vxlan("10.244.2.0/23", "192.0.2.3", "2a:00:00:00:00:03");
    Lease sameMac = vxlan("10.244.5.0/24", "192.0.2.5", "2a:00:00:00:00:02");
    Lease bad = vxlan("10.9.0.0/24", "192.0.2.9", "2a:00:00:00:00:09");
    Map<String, Lease> all = byKey(a, wide, sameMac, bad);
    Set<String> changed = update(all);
    FullValidation.Outcome full = FullValidation.validate(v, all, Set.of());
    assertEquals(full.accepted(), book.accepted());
    assertEquals(full.rejected(), book.rejected());
    assertEquals(full.accepted().keySet(), changed);
  }

  @Test
  void anUnchangedSetOrARenewalChangesNothing() {
    Lease a = vxlan("10.244.2.0/24", "192.0.2.2", "2a:00:00:00:00:02");
    update(byKey(a));
    assertEquals(Set.of(), update(byKey(a)));
    Lease renewed = new Lease(a.subnet(), null, a.attrs(), Instant.parse("2030-01-01T00:00:00Z"));
    assertEquals(Set.of(), update(byKey(renewed)), "a new expiration does not touch the dataplane");
  }

  @Test
  void aReleasedSubnetOrMacLetsTheLoserIn() {
    Lease a = vxlan("10.244.2.0/24", "192.0.2.2", "2a:00:00:00:00:02");
    Lease overlapping = vxlan("10.244.2.0/23", "192.0.2.3", "2a:00:00:00:00:03");
    Lease sameMac = vxlan("10.244.7.0/24", "192.0.2.7", "2a:00:00:00:00:02");
    update(byKey(a));
    Set<String> changed = update(byKey(a, overlapping, sameMac));
    assertEquals(Set.of(), changed, "newcomers that collide with an accepted peer are refused");
    assertEquals(RejectReason.SUBNET_OVERLAPS_PEER, book.rejected().get(overlapping.key()).reason());
    assertEquals(RejectReason.BACKEND_DATA_INVALID, book.rejected().get(sameMac.key()).reason());

    changed = update(byKey(overlapping, sameMac));
    assertEquals(Set.of(a.key(), overlapping.key(), sameMac.key()), changed);
    assertEquals(Set.of(overlapping.key(), sameMac.key()), book.accepted().keySet());
    assertTrue(book.rejected().isEmpty());
  }

  @Test
  void aChangedPeerThatNowCollidesLosesAndAWorkingPeerStays() {
    Lease a = vxlan("10.244.2.0/24", "192.0.2.2", "2a:00:00:00:00:02");
    Lease b = vxlan("10.244.3.0/24", "192.0.2.3", "2a:00:00:00:00:03");
    update(byKey(a, b));
    Lease aWithBsMac = vxlan("10.244.2.0/24", "192.0.2.2", "2a:00:00:00:00:03");
    Set<String> changed = update(byKey(aWithBsMac, b));
    assertEquals(Set.of(a.key()), changed, "a loses its place, b is untouched");
    assertEquals(Set.of(b.key()), book.accepted().keySet());
    assertEquals(RejectReason.BACKEND_DATA_INVALID, book.rejected().get(a.key()).reason());

    Lease aFixed = vxlan("10.244.2.0/24", "192.0.2.2", "2a:00:00:00:00:0a");
    assertEquals(Set.of(a.key()), update(byKey(aFixed, b)));
    assertEquals(aFixed, book.accepted().get(a.key()));
    assertTrue(book.rejected().isEmpty());
  }

  @Test
  void aPeerThatTurnsInvalidIsReleasedAndRemovedPeersAreForgotten() {
    Lease a = vxlan("10.244.2.0/24", "192.0.2.2", "2a:00:00:00:00:02");
    update(byKey(a));
    Lease aLoopback = vxlan("10.244.2.0/24", "127.0.0.1", "2a:00:00:00:00:02");
    assertEquals(Set.of(a.key()), update(byKey(aLoopback)));
    assertEquals(RejectReason.PUBLIC_IP_INVALID, book.rejected().get(a.key()).reason());
    assertTrue(book.accepted().isEmpty());
    assertEquals(Set.of(), update(Map.of()), "a rejected peer going away changes no accepted peer");
    assertTrue(book.rejected().isEmpty());
  }

  /**
   * Random churn over a small space of subnets and MACs, so collisions are frequent. After
   * every step the verdict must be consistent (accepted peers disjoint, valid alone, with
   * distinct claims), maximal (every refused peer is invalid alone or collides with an accepted
   * one), stable (an accepted peer whose lease did not change stays accepted), and the returned
   * keys must be exactly those whose accepted lease differs.
   */
  @Test
  void randomChurnKeepsTheVerdictConsistentMaximalAndStable() {
    Random rnd = new Random(8);
    String[] subnets = {"10.244.2.0/24", "10.244.3.0/24", "10.244.2.0/23", "10.244.4.0/22", "10.244.6.0/24",
        "10.244.8.0/24", "10.244.9.0/24", "10.244.0.0/23", "10.245.0.0/24", "10.244.10.0/25"};
    Map<String, Lease> current = new HashMap<>();
    for (int step = 0; step < 3000; step++) {
      Map<String, Lease> next = new HashMap<>(current);
      int edits = 1 + rnd.nextInt(3);
      for (int i = 0; i < edits; i++) {
        String subnet = subnets[rnd.nextInt(subnets.length)];
        String key = IpNet.parse(subnet).toKey();
        if (next.containsKey(key) && rnd.nextInt(3) == 0) {
          next.remove(key);
        } else {
          String ip = rnd.nextInt(20) == 0 ? "127.0.0.1" : "192.0.2." + (2 + rnd.nextInt(50));
          next.put(key, vxlan(subnet, ip, String.format("2a:00:00:00:00:%02x", 2 + rnd.nextInt(6))));
        }
      }
      Map<String, Lease> acceptedBefore = new HashMap<>(book.accepted());
      Set<String> changed = update(next);

      Map<String, Lease> acc = book.accepted();
      Set<String> expectChanged = new HashSet<>();
      for (String k : union(acceptedBefore.keySet(), acc.keySet())) {
        Lease was = acceptedBefore.get(k);
        Lease is = acc.get(k);
        if (was == null || is == null || !sameData(was, is)) {
          expectChanged.add(k);
        }
      }
      assertEquals(expectChanged, changed, "step " + step);
      assertEquals(next.keySet(), union(acc.keySet(), book.rejected().keySet()), "every desired peer judged");
      List<Lease> accList = new ArrayList<>(acc.values());
      Set<Object> macs = new HashSet<>();
      for (int i = 0; i < accList.size(); i++) {
        assertNull(v.checkAlone(accList.get(i)));
        assertTrue(macs.add(v.claim(accList.get(i))), "claims are exclusive at step " + step);
        for (int j = i + 1; j < accList.size(); j++) {
          assertFalse(accList.get(i).subnet().overlaps(accList.get(j).subnet()), "step " + step);
        }
      }
      for (String k : book.rejected().keySet()) {
        Lease l = next.get(k);
        boolean alone = v.checkAlone(l) != null;
        boolean collides = accList.stream().anyMatch(o ->
            o.subnet().overlaps(l.subnet()) || v.claim(o).equals(v.claim(l)));
        assertTrue(alone || collides, "rejected " + k + " without cause at step " + step);
      }
      acceptedBefore.forEach((k, l) -> {
        Lease n = next.get(k);
        if (n != null && sameData(l, n)) {
          assertNotNull(acc.get(k), "unchanged accepted peer " + k + " kept its place");
        }
      });
      current = next;
    }
  }

  private static Set<String> union(Set<String> a, Set<String> b) {
    Set<String> u = new HashSet<>(a);
    u.addAll(b);
    return u;
  }

  @Test
  void newcomersAreTakenInKeyOrderAndTheRejectionNamesTheHolder() {
    Lease a = vxlan("10.244.2.0/24", "192.0.2.2", "2a:00:00:00:00:02");
    Lease wide = vxlan("10.244.2.0/23", "192.0.2.3", "2a:00:00:00:00:03");
    update(byKey(a, wide));
    assertEquals(Set.of(wide.key()), book.accepted().keySet(), "10.244.2.0-23 sorts before 10.244.2.0-24");
    assertEquals("subnet 10.244.2.0/24 overlaps 10.244.2.0/23 of peer 10.244.2.0-23",
        book.rejected().get(a.key()).detail());
  }
  /** The first address as the book keys its ranges. */
  private static long first(String cidr) {
    return IpNet.parse(cidr).firstV4();
  }

  @Test
  void rangesAreUnsignedIpv4Numbers() {
    assertEquals(0xC8000000L, first("200.0.0.0/8"));
    assertEquals(0xFFFFFF00L, first("255.255.255.7/24"));
    assertEquals(0L, first("10.1.2.3/0"));
    assertEquals(0x0A010203L, first("10.1.2.3/32"));
  }

  @Test
  void overlapsAcrossTheSignBitAreFound() {
    // Networks above 128.0.0.0 would compare wrongly as signed ints; the book uses longs.
    PeerValidator wide = new PeerValidator(IpNet.parse("128.0.0.0/1"), IpNet.parse("250.0.1.0/24"),
        "vxlan", new TestDataplane(null, IpNet.parse("128.0.0.0/1")).peerCheck(),
        l -> "VTEP MAC " + l.attrs().backendData().path("VtepMAC").asText());
    PeerBook b = new PeerBook(wide);
    Lease low = vxlan("200.1.2.0/24", "192.0.2.2", "2a:00:00:00:00:02");
    Lease cover = vxlan("200.1.0.0/16", "192.0.2.3", "2a:00:00:00:00:03");
    Lease apart = vxlan("200.2.0.0/24", "192.0.2.4", "2a:00:00:00:00:04");
    update(b, new PeerFeed(), byKey(low, cover, apart));
    FullValidation.Outcome full = FullValidation.validate(wide, byKey(low, cover, apart), Set.of());
    assertEquals(full.accepted().keySet(), b.accepted().keySet());
    assertEquals(2, b.accepted().size(), "accepted " + b.accepted().keySet());
    assertEquals(1, b.rejected().size());
  }
  @Test
  void rejudgeAppliesChangedFactsToUnchangedPeersAndKeepsTheOldOnesFirst() {
    TestDataplane dp = new TestDataplane(null, IpNet.parse("10.244.0.0/16"));
    PeerValidator withFacts = new PeerValidator(IpNet.parse("10.244.0.0/16"), IpNet.parse("10.244.1.0/24"), "vxlan",
        dp.peerCheck());
    PeerBook b = new PeerBook(withFacts);
    PeerFeed f = new PeerFeed();
    Lease a = vxlan("10.244.2.0/24", "192.0.2.2", "2a:00:00:00:00:02");
    Lease c = vxlan("10.244.3.0/24", "192.0.2.255", "2a:00:00:00:00:03");
    Lease wide = vxlan("10.244.2.0/23", "192.0.2.7", "2a:00:00:00:00:07");
    update(b, f, byKey(a, c));
    update(b, f, byKey(a, c, wide));
    assertEquals(Set.of(a.key(), c.key()), b.accepted().keySet());
    assertEquals(Set.of(), b.rejudge(), "nothing changed, nothing dirty");
    // An address appears on the external interface: 192.0.2.255 is a broadcast address now.
    dp.refusedIps.add("192.0.2.255");
    assertEquals(Set.of(c.key()), b.rejudge());
    assertEquals(Set.of(a.key()), b.accepted().keySet());
    assertEquals(RejectReason.PUBLIC_IP_INVALID, b.rejected().get(c.key()).reason());
    assertTrue(b.newlyRejected().containsKey(c.key()), "reported");
    assertEquals(RejectReason.SUBNET_OVERLAPS_PEER, b.rejected().get(wide.key()).reason(), "a still holds 10.244.2.0/24");
    assertTrue(b.rejected().get(wide.key()).detail().contains(a.key()), "the verdict names the holder now");
    b.rejudge();
    assertTrue(b.newlyRejected().isEmpty(), "the same verdict is not reported again");
    dp.refusedIps.clear();
    assertEquals(Set.of(c.key()), b.rejudge());
    assertEquals(Set.of(a.key(), c.key()), b.accepted().keySet());
    assertTrue(b.newlyRejected().isEmpty());
  }
}
