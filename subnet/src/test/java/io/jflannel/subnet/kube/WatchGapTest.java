package io.jflannel.subnet.kube;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** When the watchdog lists the nodes again after a watch gap (decisions 0700 and 0848). */
class WatchGapTest {
  private static final long S = 1_000_000_000L;
  private final WatchGap gap = new WatchGap(Duration.ofMinutes(4), Duration.ofSeconds(5));

  @Test
  void theServersRoutineEndOfALongLivedWatchNeedsNoList() {
    assertEquals(-1, gap.look(true, 0));
    assertEquals(-1, gap.look(true, 300 * S));
    assertEquals(-1, gap.look(false, 320 * S));   // timeoutSeconds ran out
    assertTrue(gap.isDown());
    assertEquals(-1, gap.look(true, 321 * S));    // resumed from the last resource version
    assertFalse(gap.isDown());
    // The resumed watch is young again: its next routine end is five minutes away.
    assertEquals(-1, gap.look(false, 700 * S));
    assertEquals(-1, gap.look(true, 702 * S));
  }

  @Test
  void aGapOfAYoungWatchIsAnOutageAndListed() {
    gap.look(true, 0);
    gap.look(false, 1 * S);                       // the API server went away
    assertEquals(-1, gap.look(false, 2 * S));     // still down: nothing to list from yet
    assertEquals(2000, gap.look(true, 3 * S));    // back: list
    assertEquals(-1, gap.look(true, 4 * S));
  }

  @Test
  void aLongGapIsListedWhateverTheWatchsAge() {
    gap.look(true, 0);
    gap.look(false, 600 * S);
    assertEquals(5000, gap.look(true, 605 * S));
  }

  @Test
  void aReportedFailureMakesEvenARoutineLookingGapListed() {
    gap.look(true, 0);
    gap.look(false, 400 * S);
    gap.failed();
    assertEquals(1000, gap.look(true, 401 * S));
    gap.look(false, 800 * S);
    assertEquals(-1, gap.look(true, 801 * S), "the failure was answered by the list already");
  }

  @Test
  void aWatchNeverSeenUpBeforeItsGapIsListed() {
    gap.look(false, 0);
    assertEquals(2000, gap.look(true, 2 * S));
  }
}
