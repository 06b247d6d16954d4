package io.jflannel.subnet.kube;

import io.jflannel.subnet.LeaseEvent;
import io.jflannel.subnet.LeaseSink;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The single thread that turns "node N changed" notices into lease events for the subscriber.
 *
 * <p>The informer's handler only enqueues the node name (bounded queue; a full queue makes the
 * informer wait, as upstream's channel does). This thread reads the node's current reading from
 * the {@link SlimNodeStore}, so events are level-triggered: a stale notice just finds the latest
 * state, and a notice for a deleted node finds nothing and yields the last known lease as
 * Removed.
 */
final class NodeEventLoop implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(NodeEventLoop.class);
  private static final int MAX_BATCH = 1024;

  private sealed interface Work {}

  private record NodeTouched(String name) implements Work {}

  private record Subscribe(LeaseSink sink) implements Work {}

  private record Unsubscribe(LeaseSink sink) implements Work {}

  private record Stop() implements Work {}

  private final BlockingQueue<Work> queue;
  private final SlimNodeStore store;
  private final PeerTracker tracker;
  private final Thread thread;
  private volatile LeaseSink sink;
  private volatile boolean closed;

  NodeEventLoop(int depth, SlimNodeStore store, PeerTracker tracker) {
    this.queue = new ArrayBlockingQueue<>(depth);
    this.store = store;
    this.tracker = tracker;
    this.thread = new Thread(this::run, "jflannel-kube-nodes");
    this.thread.setDaemon(true);
    this.thread.start();
  }

  /** Called from the informer's handler: blocks while the queue is full. */
  void nodeChanged(String name) {
    put(new NodeTouched(name));
  }

  /** Makes {@code s} the subscriber; its first batch lists every current peer as Added. */
  void subscribe(LeaseSink s) {
    put(new Subscribe(s));
  }

  /** Stops delivery to {@code s} (no-op if another sink replaced it). */
  void unsubscribe(LeaseSink s) {
    if (sink == s) {
      sink = null;
    }
    put(new Unsubscribe(s));
  }

  private void put(Work w) {
    if (closed) {
      return;
    }
    try {
      queue.put(w);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void run() {
    List<Work> batch = new ArrayList<>();
    try {
      while (!closed) {
        batch.clear();
        batch.add(queue.take());
        queue.drainTo(batch, MAX_BATCH - 1);
        if (!process(batch)) {
          return;
        }
      }
    } catch (InterruptedException e) {
      // close() interrupts us; nothing to clean up
    }
  }

  /** Handles one drained batch; returns false when told to stop. */
  private boolean process(List<Work> batch) {
    List<LeaseEvent> pending = new ArrayList<>();
    for (Work w : batch) {
      if (w instanceof NodeTouched t) {
        if (sink != null) {
          pending.addAll(tracker.update(t.name(), store.reading(t.name())));
        }
      } else if (w instanceof Subscribe s) {
        deliver(pending);
        pending = new ArrayList<>();
        sink = s.sink();
        // The first batch is delivered even when empty: it tells the subscriber it has the
        // complete picture.
        deliverAlways(tracker.resync(store.readings()));
      } else if (w instanceof Unsubscribe u) {
        deliver(pending);
        pending = new ArrayList<>();
        if (sink == u.sink()) {
          sink = null;
        }
      } else if (w instanceof Stop) {
        deliver(pending);
        return false;
      }
    }
    deliver(pending);
    return true;
  }

  private void deliver(List<LeaseEvent> events) {
    if (!events.isEmpty()) {
      deliverAlways(events);
    }
  }

  private void deliverAlways(List<LeaseEvent> events) {
    LeaseSink s = sink;
    if (s == null || closed) {
      return;
    }
    try {
      s.onEvents(List.copyOf(events));
    } catch (RuntimeException e) {
      // A failing subscriber must not stop the loop; the next resync/event re-describes peers.
      LOG.error("lease subscriber failed on a batch of {} events", events.size(), e);
    }
  }

  /** Number of notices waiting. */
  int backlog() {
    return queue.size();
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    sink = null;
    queue.clear();
    queue.offer(new Stop());
    thread.interrupt();
    try {
      thread.join(TimeUnit.SECONDS.toMillis(5));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
