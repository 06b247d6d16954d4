package io.jflannel.backend.lab;

import io.jflannel.netlink.Group;
import io.jflannel.netlink.Netlink;
import io.jflannel.netlink.NetlinkEvent;
import io.jflannel.netlink.Subscription;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/**
 * Timestamps kernel notifications in a namespace, to measure repair latency as the time
 * between the notification of a deletion and the one of the re-creation, both seen by the
 * kernel (independent of how long the {@code ip} process that deleted took to exit).
 */
public final class EventClock implements AutoCloseable {
  /** A notification and when it arrived. */
  public record Stamped(long nanos, NetlinkEvent event) {
  }

  private final List<Stamped> events = new CopyOnWriteArrayList<>();
  private final Subscription sub;

  public EventClock(Netlink nl) throws Exception {
    sub = nl.subscribe(EnumSet.of(Group.LINK, Group.NEIGH, Group.IPV4_ROUTE, Group.IPV4_IFADDR),
        e -> events.add(new Stamped(System.nanoTime(), e)));
  }

  public void reset() {
    events.clear();
  }

  /**
   * Waits for the first event matching {@code deleted} and then the first later one matching
   * {@code restored}; returns the time between them.
   */
  public Duration between(Predicate<NetlinkEvent> deleted, Predicate<NetlinkEvent> restored, Duration timeout)
      throws InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < end) {
      Long del = null;
      for (Stamped s : events) {
        if (del == null && deleted.test(s.event())) {
          del = s.nanos();
        } else if (del != null && restored.test(s.event())) {
          return Duration.ofNanos(s.nanos() - del);
        }
      }
      Thread.sleep(2);
    }
    throw new AssertionError("no deletion followed by a restoration within " + timeout + "; events: " + events);
  }

  @Override
  public void close() {
    sub.close();
  }
}
