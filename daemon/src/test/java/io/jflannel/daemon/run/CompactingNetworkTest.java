package io.jflannel.daemon.run;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jflannel.backend.Network;
import io.jflannel.subnet.Lease;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.junit.jupiter.api.Test;

class CompactingNetworkTest {
  private static final long QUIET = 10_000;

  /** A manual clock and scheduler: tasks run only when {@link #advance} passes their time. */
  private long now = 1_000;
  private final java.util.TreeMap<Long, List<Runnable>> due = new java.util.TreeMap<>();
  private long heap = 20L << 20;

  private void advance(long nanos) {
    long until = now + nanos;
    while (!due.isEmpty() && due.firstKey() <= until) {
      var next = due.pollFirstEntry();
      now = next.getKey();
      next.getValue().forEach(Runnable::run);
    }
    now = until;
  }

  private Network compacting(Network delegate, Runnable gc) {
    return new CompactingNetwork(delegate, gc, () -> heap, () -> now,
        (task, delay) -> due.computeIfAbsent(now + delay, k -> new ArrayList<>()).add(task), QUIET);
  }

  private Network compacting(Network delegate) {
    return compacting(delegate, () -> {
      calls.add("gc");
      heap = 20L << 20;
    });
  }


  /** Records the order of calls on the delegate and of collections. */
  private final List<String> calls = new ArrayList<>();

  private final Network fake = new Network() {
    @Override
    public Lease lease() {
      calls.add("lease");
      return null;
    }

    @Override
    public int mtu() {
      calls.add("mtu");
      return 1450;
    }

    @Override
    public void reconcile(Collection<Lease> peers) {
      calls.add("reconcile " + peers.size());
    }

    @Override
    public void reconcile(java.util.Map<String, Lease> peersByKey) {
      calls.add("reconcile keyed " + peersByKey.size());
    }

    @Override
    public void start() {
      calls.add("start");
    }

    @Override
    public void close() {
      calls.add("close");
    }
  };

  /** A network whose passes run {@code pass}; nothing else. */
  private static Network onPass(Runnable pass) {
    return new Network() {
      @Override
      public Lease lease() {
        return null;
      }

      @Override
      public int mtu() {
        return 0;
      }

      @Override
      public void reconcile(Collection<Lease> peers) {
        pass.run();
      }

      @Override
      public void start() {
      }

      @Override
      public void close() {
      }
    };
  }

  @Test
  void collectsOnceRightAfterTheFirstPass() {
    Network net = compacting(fake);
    net.reconcile(List.of());
    net.reconcile(List.of());
    net.reconcile(List.of());
    assertEquals(List.of("reconcile 0", "gc", "reconcile 0", "reconcile 0"), calls);
  }

  @Test
  void keyedPassesReachTheDelegateKeyedAndCollectOnceAcrossBothForms() {
    Network net = compacting(fake);
    net.reconcile(java.util.Map.of());
    net.reconcile(List.of());
    net.reconcile(java.util.Map.of());
    assertEquals(List.of("reconcile keyed 0", "gc", "reconcile 0", "reconcile keyed 0"), calls);
  }

  @Test
  void everythingElseIsDelegatedWithoutCollecting() {
    Network net = compacting(fake);
    net.start();
    assertEquals(1450, net.mtu());
    net.lease();
    net.close();
    assertEquals(List.of("start", "mtu", "lease", "close"), calls);
  }

  @Test
  void concurrentFirstPassesCollectOnlyOnce() throws Exception {
    List<String> gcs = java.util.Collections.synchronizedList(new ArrayList<>());
    Network quiet = compacting(onPass(() -> { }), () -> gcs.add("gc"));
    Thread[] ts = new Thread[4];
    for (int i = 0; i < ts.length; i++) {
      ts[i] = new Thread(() -> quiet.reconcile(List.of()));
      ts[i].start();
    }
    for (Thread t : ts) {
      t.join();
    }
    assertEquals(1, gcs.size());
  }

  @Test
  void collectsAgainOnlyAfterABurstThatGrewTheHeapHasRestedForTheQuietTime() {
    Network net = compacting(fake);
    net.reconcile(List.of());            // first pass: collects at once
    heap = 40L << 20;                    // a storm promotes garbage
    for (int i = 0; i < 5; i++) {
      net.reconcile(List.of());
      advance(QUIET / 2);                // still busy: no collection yet
    }
    assertEquals(1, calls.stream().filter("gc"::equals).count(), calls.toString());
    advance(QUIET);                      // quiet long enough
    assertEquals(2, calls.stream().filter("gc"::equals).count(), calls.toString());
    advance(10 * QUIET);                 // no passes, no further collections
    assertEquals(2, calls.stream().filter("gc"::equals).count(), calls.toString());
  }

  @Test
  void aQuietPassThatDidNotGrowTheHeapDoesNotCollect() {
    Network net = compacting(fake);
    net.reconcile(List.of());
    advance(QUIET);                      // the start-up settles: collected in any case
    assertEquals(List.of("reconcile 0", "gc", "gc"), calls);
    heap += CompactingNetwork.GROWTH_BYTES - 1;
    net.reconcile(List.of());
    advance(2 * QUIET);
    assertEquals(List.of("reconcile 0", "gc", "gc", "reconcile 0"), calls);
    heap += 1;                           // now at the threshold: the next quiet check collects
    net.reconcile(List.of());
    advance(2 * QUIET);
    assertEquals(List.of("reconcile 0", "gc", "gc", "reconcile 0", "reconcile 0", "gc"), calls);
  }

  @Test
  void theFirstQuietLookCollectsEvenWithoutGrowthAndOnlyThatOne() {
    // decision 0851: what the first pass still held is garbage once the start-up is over.
    Network net = compacting(fake);
    net.reconcile(List.of());
    advance(QUIET - 1);
    assertEquals(List.of("reconcile 0", "gc"), calls);
    advance(1);
    assertEquals(List.of("reconcile 0", "gc", "gc"), calls);
    advance(10 * QUIET);
    assertEquals(List.of("reconcile 0", "gc", "gc"), calls);
  }

  @Test
  void heapGrownWithoutAnyPassIsCollectedOnceTheQuietTimeHasPassed() {
    // decision 0851: store events that change no peer (a watch replay, status-only updates)
    // leave promoted garbage without ever causing a pass.
    Network net = compacting(fake);
    net.start();
    assertEquals(java.util.Map.of(), due, "nothing is watched before the first pass");
    net.reconcile(List.of());
    heap += 3L << 20;
    advance(QUIET - 1);
    assertEquals(List.of("start", "reconcile 0", "gc"), calls);
    advance(1);
    assertEquals(List.of("start", "reconcile 0", "gc", "gc"), calls);
    advance(5 * QUIET);                  // the heap went back: nothing more to give
    assertEquals(2, calls.stream().filter("gc"::equals).count(), calls.toString());
    heap += 2L << 20;                    // later garbage is seen by the next look
    advance(QUIET);
    assertEquals(3, calls.stream().filter("gc"::equals).count(), calls.toString());
    assertEquals(1, due.values().stream().mapToInt(List::size).sum(), "one look pending at a time");
  }

  @Test
  void noCollectionWhileAPassIsRunningHoweverLongItTakes() {
    // A pass longer than the quiet time (a storm on a slow node) is not a quiet time.
    Network slow = onPass(() -> {
      calls.add("pass start");
      heap += 4L << 20;
      advance(3 * QUIET);                // the looks during this pass must not collect
      calls.add("pass end");
    });
    Network net = compacting(slow);
    net.reconcile(List.of());            // first pass: collects at once (after it)
    advance(QUIET);                      // settling look
    calls.clear();
    net.reconcile(List.of());
    assertEquals(List.of("pass start", "pass end"), calls);
    advance(QUIET);                      // rested now, and grown: collects
    assertEquals(List.of("pass start", "pass end", "gc"), calls);
  }
}
