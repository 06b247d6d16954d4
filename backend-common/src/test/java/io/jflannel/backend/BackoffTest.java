package io.jflannel.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BackoffTest {
  static List<Long> seconds(Backoff b, int n) {
    List<Long> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(b.next().toSeconds());
    }
    return out;
  }

  @Test
  void oneSecondDoublingToAMinute() {
    Backoff b = new Backoff();
    assertEquals(List.of(1L, 2L, 4L, 8L, 16L, 32L, 60L, 60L, 60L), seconds(b, 9));
    for (int i = 0; i < 100; i++) {
      assertEquals(Duration.ofSeconds(60), b.next(), "no overflow after many attempts");
    }
    b.reset();
    assertEquals(List.of(1L, 2L), seconds(b, 2));
  }

  @Test
  void badBoundsAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> new Backoff(Duration.ZERO, Duration.ofSeconds(1)));
    assertThrows(IllegalArgumentException.class, () -> new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1)));
  }
}
