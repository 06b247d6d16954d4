package io.jflannel.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jflannel.backend.ObjectKeys.FdbKey;
import io.jflannel.backend.ObjectKeys.NeighKey;
import io.jflannel.backend.ObjectKeys.RouteKey;
import io.jflannel.netlink.MacAddress;
import java.net.InetAddress;
import java.util.HashSet;
import java.util.Set;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;

class ObjectKeysTest {
  private static final int PEERS = 5000;
  /** A map of 5,000 entries has 8,192 buckets. */
  private static final int BUCKET_MASK = 8191;

  /** Peer i's VTEP address, as the lab and benches number them: 10.(128 + i / 256).(i % 256).0. */
  private static InetAddress vtep(int i) throws Exception {
    return InetAddress.getByAddress(new byte[] {10, (byte) (128 + i / 256), (byte) (i % 256), 0});
  }

  /** Distinct buckets the keys land in, with HashMap's and ConcurrentHashMap's own spreading. */
  private static int buckets(IntFunction<Object> key) {
    Set<Integer> used = new HashSet<>();
    for (int i = 0; i < PEERS; i++) {
      int h = key.apply(i).hashCode();
      used.add((h ^ (h >>> 16)) & BUCKET_MASK);
    }
    return used.size();
  }

  @Test
  void peerKeysSpreadOverAMapsBuckets() {
    // Uniform hashing fills about 8,192 * (1 - e^(-5000/8192)) = 3,720 buckets; the records'
    // default hashCode put the neighbour keys into 640.
    IntFunction<Object> neigh = i -> new NeighKey(5, unchecked(i));
    IntFunction<Object> route = i -> new RouteKey(2, 254, unchecked(i), 24, 0);
    IntFunction<Object> fdb = i -> new FdbKey(5, new MacAddress(0x0e0000000000L + i), unchecked(i));
    for (IntFunction<Object> k : java.util.List.of(neigh, route, fdb)) {
      int used = buckets(k);
      assertTrue(used > 3000, k.apply(0).getClass().getSimpleName() + " keys use only " + used + " buckets");
    }
  }

  @Test
  void equalKeysHashAlikeAndComponentsMatter() throws Exception {
    assertEquals(new NeighKey(5, vtep(1)), new NeighKey(5, vtep(1)));
    assertEquals(new NeighKey(5, vtep(1)).hashCode(), new NeighKey(5, vtep(1)).hashCode());
    assertNotEquals(new NeighKey(5, vtep(1)).hashCode(), new NeighKey(6, vtep(1)).hashCode());
    assertEquals(new RouteKey(2, 254, vtep(3), 24, 0).hashCode(), new RouteKey(2, 254, vtep(3), 24, 0).hashCode());
    assertNotEquals(new RouteKey(2, 254, vtep(3), 24, 0).hashCode(), new RouteKey(2, 254, vtep(3), 25, 0).hashCode());
    MacAddress mac = MacAddress.parse("0e:00:00:00:00:01");
    assertEquals(new FdbKey(5, mac, vtep(2)).hashCode(), new FdbKey(5, mac, vtep(2)).hashCode());
    assertEquals(new RouteKey(2, 254, null, 0, 0), new RouteKey(2, 254, null, 0, 0), "a default route has no dst");
    assertEquals(new RouteKey(2, 254, null, 0, 0).hashCode(), new RouteKey(2, 254, null, 0, 0).hashCode());
  }

  private static InetAddress unchecked(int i) {
    try {
      return vtep(i);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
