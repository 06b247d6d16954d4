package io.jflannel.daemon.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jflannel.subnet.ConfigException;
import io.jflannel.subnet.NetworkConfig;
import io.jflannel.subnet.NetworkConfigParser;
import io.jflannel.subnet.SubnetException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ConfigWaitTest {
  static final long SECOND = TimeUnit.SECONDS.toNanos(1);

  final AtomicLong clock = new AtomicLong();
  final List<String> lines = new CopyOnWriteArrayList<>();

  /** A wait whose pauses are instant and whose clock moves one second per attempt. */
  ConfigWait fastWait() {
    return new ConfigWait(Duration.ofNanos(1), Duration.ofSeconds(5), clock::get, lines::add);
  }

  /** Fails with each reason in turn (advancing the clock a second each time), then returns {@code config}. */
  ConfigWait.Attempt failing(NetworkConfig config, String... reasons) {
    Deque<String> left = new ArrayDeque<>(List.of(reasons));
    return () -> {
      clock.addAndGet(SECOND);
      String r = left.poll();
      if (r == null) {
        return config;
      }
      throw r.startsWith("invalid") ? new ConfigException(r) : new SubnetException(r);
    };
  }

  static NetworkConfig config() throws Exception {
    return NetworkConfigParser.parse("{\"Network\":\"10.244.0.0/16\"}");
  }

  @Test
  void retriesUntilTheConfigIsThereWithALineEveryFiveSecondsOfTheSameReason() throws Exception {
    NetworkConfig c = config();
    String[] twelve = new String[12];
    java.util.Arrays.fill(twelve, "network config key /p/config not found in etcd [http://127.0.0.1:2379]");
    Optional<NetworkConfig> got = fastWait().await(failing(c, twelve));
    assertSame(c, got.orElseThrow());
    // failures at 1 s .. 12 s: lines at 1, 6 and 11 s
    assertEquals(3, lines.size(), lines.toString());
    for (String l : lines) {
      assertTrue(l.startsWith("Couldn't fetch network config: network config key /p/config not found in etcd"
          + " [http://127.0.0.1:2379]; retrying every "), l);
    }
    assertTrue(lines.get(2).endsWith("(waiting for 11 s)"), lines.get(2));
  }

  @Test
  void aNewReasonIsReportedAtOnce() throws Exception {
    Optional<NetworkConfig> got = fastWait().await(failing(config(),
        "etcd: read /p/config timed out after 10 s (endpoints [http://127.0.0.1:2379])",
        "etcd: read /p/config timed out after 10 s (endpoints [http://127.0.0.1:2379])",
        "network config key /p/config not found in etcd [http://127.0.0.1:2379]",
        "invalid: /p/config in etcd [http://127.0.0.1:2379]: SubnetLen: must be at most 30, got 31"));
    assertTrue(got.isPresent());
    assertEquals(3, lines.size(), lines.toString());
    assertTrue(lines.get(0).contains("timed out"), lines.get(0));
    assertTrue(lines.get(1).contains("not found"), lines.get(1));
    assertTrue(lines.get(2).contains("SubnetLen"), lines.get(2));
  }

  @Test
  void noLineWhenTheFirstAttemptSucceeds() throws Exception {
    assertTrue(fastWait().await(failing(config())).isPresent());
    assertEquals(List.of(), lines);
  }

  @Test
  void cancelEndsAPauseAndTheWaitReturnsEmpty() throws Exception {
    // A pause far longer than the test: only cancel() can end it.
    ConfigWait wait = new ConfigWait(Duration.ofHours(1), Duration.ofSeconds(5), System::nanoTime, lines::add);
    CountDownLatch failedOnce = new CountDownLatch(1);
    CompletableFuture<Optional<NetworkConfig>> result = CompletableFuture.supplyAsync(() -> wait.await(() -> {
      failedOnce.countDown();
      throw new SubnetException("network config key /p/config not found in etcd [http://127.0.0.1:2379]");
    }));
    assertTrue(failedOnce.await(60, TimeUnit.SECONDS));
    wait.cancel();
    assertEquals(Optional.empty(), result.get(60, TimeUnit.SECONDS));
    assertEquals(1, lines.size(), lines.toString());
  }

  @Test
  void cancelledBeforeTheFirstAttemptReadsNothing() throws Exception {
    ConfigWait wait = fastWait();
    wait.cancel();
    assertEquals(Optional.empty(), wait.await(() -> {
      throw new AssertionError("no attempt after cancel");
    }));
  }
}
