package io.jflannel.daemon.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.Test;

class HeapCompactionTest {
  private static final long QUIET = 10_000;

  /** A manual clock and scheduler: tasks run only when {@link #advance} passes their time. */
  private long now = 1_000;
  private final TreeMap<Long, List<Runnable>> due = new TreeMap<>();
  private long heap = 20L << 20;

  /** Records the passes (as the peer sync reports them) and the collections, in order. */
  private final List<String> calls = new ArrayList<>();

  private void advance(long nanos) {
    long until = now + nanos;
    while (!due.isEmpty() && due.firstKey() <= until) {
      var next = due.pollFirstEntry();
      now = next.getKey();
      next.getValue().forEach(Runnable::run);
    }
    now = until;
  }

  private HeapCompaction compaction(Runnable gc) {
    return new HeapCompaction(gc, () -> heap, () -> now,
        (task, delay) -> due.computeIfAbsent(now + delay, k -> new ArrayList<>()).add(task), QUIET);
  }

  private HeapCompaction compaction() {
    return compaction(() -> {
      calls.add("gc");
      heap = 20L << 20;
    });
  }

  /** One pass as the peer sync runs it: the hooks around the work. */
  private void pass(HeapCompaction compaction, int peers, Runnable work) {
    compaction.passStarted();
    try {
      work.run();
    } finally {
      compaction.passFinished(peers);
    }
  }

  private void pass(HeapCompaction compaction) {
    pass(compaction, 0, () -> calls.add("pass"));
  }

  private long collections() {
    return calls.stream().filter("gc"::equals).count();
  }

  @Test
  void collectsOnceRightAfterTheFirstPass() {
    HeapCompaction c = compaction();
    pass(c);
    pass(c);
    pass(c);
    assertEquals(List.of("pass", "gc", "pass", "pass"), calls);
  }

  @Test
  void aStartedPassIsNotTheFirstUntilItHasFinished() {
    // The hooks replace the wrapper's two reconcile forms: what counts is the finished pass,
    // also one that failed.
    HeapCompaction c = compaction();
    c.passStarted();
    calls.add("pass");
    assertEquals(Map.of(), due, "nothing is watched while the first pass runs");
    assertEquals(List.of("pass"), calls);
    try {
      pass(c, 0, () -> {
        throw new IllegalStateException("the kernel refused");
      });
    } catch (IllegalStateException expected) {
      // the peer sync logs it; the compaction still hears the pass end
    }
    assertEquals(List.of("pass", "gc"), calls);
    c.passFinished(0);
    assertEquals(List.of("pass", "gc"), calls);
  }

  @Test
  void closedItNeitherCollectsNorLooksAgain() {
    HeapCompaction c = compaction();
    pass(c);
    c.close();
    heap += 4L << 20;
    advance(10 * QUIET);
    assertEquals(List.of("pass", "gc"), calls);
    assertEquals(Map.of(), due, "the pending look ended without another");
    HeapCompaction closedFirst = compaction();
    closedFirst.close();
    pass(closedFirst);
    assertEquals(List.of("pass", "gc", "pass"), calls);
    assertEquals(Map.of(), due);
  }

  @Test
  void theDaemonsTimersStoppingIsNotAnError() {
    // The daemon shuts its timer thread down before the peer sync's last pass may end.
    ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();
    timers.shutdownNow();
    HeapCompaction c = new HeapCompaction(timers);
    c.passStarted();
    c.passFinished(0);
    c.close();
  }

  @Test
  void concurrentFirstPassesCollectOnlyOnce() throws Exception {
    List<String> gcs = Collections.synchronizedList(new ArrayList<>());
    HeapCompaction c = compaction(() -> gcs.add("gc"));
    Thread[] ts = new Thread[4];
    for (int i = 0; i < ts.length; i++) {
      ts[i] = new Thread(() -> pass(c, 0, () -> { }));
      ts[i].start();
    }
    for (Thread t : ts) {
      t.join();
    }
    assertEquals(1, gcs.size());
  }

  @Test
  void collectsAgainOnlyAfterABurstThatGrewTheHeapHasRestedForTheQuietTime() {
    HeapCompaction c = compaction();
    pass(c);                             // first pass: collects at once
    heap = 40L << 20;                    // a storm promotes garbage
    for (int i = 0; i < 5; i++) {
      pass(c);
      advance(QUIET / 2);                // still busy: no collection yet
    }
    assertEquals(1, collections(), calls.toString());
    advance(QUIET);                      // quiet long enough
    assertEquals(2, collections(), calls.toString());
    advance(10 * QUIET);                 // no passes, no further collections
    assertEquals(2, collections(), calls.toString());
  }

  @Test
  void aQuietPassThatDidNotGrowTheHeapDoesNotCollect() {
    HeapCompaction c = compaction();
    pass(c);
    advance(QUIET);                      // the start-up settles: collected in any case
    assertEquals(List.of("pass", "gc", "gc"), calls);
    heap += HeapCompaction.GROWTH_BYTES - 1;
    pass(c);
    advance(2 * QUIET);
    assertEquals(List.of("pass", "gc", "gc", "pass"), calls);
    heap += 1;                           // now at the threshold: the next quiet check collects
    pass(c);
    advance(2 * QUIET);
    assertEquals(List.of("pass", "gc", "gc", "pass", "pass", "gc"), calls);
  }

  @Test
  void theFirstQuietLookCollectsEvenWithoutGrowthAndOnlyThatOne() {
    // decision 0851: what the first pass still held is garbage once the start-up is over.
    HeapCompaction c = compaction();
    pass(c);
    advance(QUIET - 1);
    assertEquals(List.of("pass", "gc"), calls);
    advance(1);
    assertEquals(List.of("pass", "gc", "gc"), calls);
    advance(10 * QUIET);
    assertEquals(List.of("pass", "gc", "gc"), calls);
  }

  @Test
  void heapGrownWithoutAnyPassIsCollectedOnceTheQuietTimeHasPassed() {
    // decision 0851: store events that change no peer (a watch replay, status-only updates)
    // leave promoted garbage without ever causing a pass.
    HeapCompaction c = compaction();
    assertEquals(Map.of(), due, "nothing is watched before the first pass");
    pass(c);
    heap += 3L << 20;
    advance(QUIET - 1);
    assertEquals(List.of("pass", "gc"), calls);
    advance(1);
    assertEquals(List.of("pass", "gc", "gc"), calls);
    advance(5 * QUIET);                  // the heap went back: nothing more to give
    assertEquals(2, collections(), calls.toString());
    heap += 2L << 20;                    // later garbage is seen by the next look
    advance(QUIET);
    assertEquals(3, collections(), calls.toString());
    assertEquals(1, due.values().stream().mapToInt(List::size).sum(), "one look pending at a time");
  }

  @Test
  void noCollectionWhileAPassIsRunningHoweverLongItTakes() {
    // A pass longer than the quiet time (a storm on a slow node) is not a quiet time.
    HeapCompaction c = compaction();
    pass(c);                             // first pass: collects at once (after it)
    advance(QUIET);                      // settling look
    calls.clear();
    pass(c, 0, () -> {
      calls.add("pass start");
      heap += 4L << 20;
      advance(3 * QUIET);                // the looks during this pass must not collect
      calls.add("pass end");
    });
    assertEquals(List.of("pass start", "pass end"), calls);
    advance(QUIET);                      // rested now, and grown: collects
    assertEquals(List.of("pass start", "pass end", "gc"), calls);
  }
}
