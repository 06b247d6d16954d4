package io.jflannel.subnet.kube;

import io.jflannel.subnet.PeerListener;
import io.jflannel.subnet.Threads;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The single thread that turns "node N changed" notices into changes of the peer set, and tells
 * the subscriber.
 *
 * <p>The informer's handler only enqueues the node name (bounded queue; a full queue makes the
 * informer wait, as upstream's channel does). This thread reads the node's current reading from
 * the {@link SlimNodeStore}, so events are level-triggered: a stale notice just finds the latest
 * state, and a notice for a deleted node finds nothing and lets its subnet go.
 */
final class NodeEventLoop implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(NodeEventLoop.class);
  private static final int MAX_BATCH = 1024;

  private sealed interface Work {}

  private record NodeTouched(String name) implements Work {}

  private record Subscribe(PeerListener sink) implements Work {}

  private record Unsubscribe(PeerListener sink) implements Work {}

  private record Relisted() implements Work {}

  private record Stop() implements Work {}

  private final BlockingQueue<Work> queue;
  private final SlimNodeStore store;
  private final PeerTracker tracker;
  private final Thread thread;
  private volatile PeerListener sink;
  private volatile OwnNodeGuard guard;
  private volatile boolean closed;

  NodeEventLoop(int depth, SlimNodeStore store, PeerTracker tracker) {
    this.queue = new ArrayBlockingQueue<>(depth);
    this.store = store;
    this.tracker = tracker;
    this.thread = Threads.daemon(this::run, "kube-nodes");
    this.thread.start();
  }

  /** From now on, changes of our own Node go to {@code g} (once a subscriber is there). */
  void guardOwnNode(OwnNodeGuard g) {
    guard = g;
  }

  /** Called from the informer's handler: blocks while the queue is full. */
  void nodeChanged(String name) {
    put(new NodeTouched(name));
  }

  /** Makes {@code s} the subscriber; its first drain holds every current peer. */
  void subscribe(PeerListener s) {
    put(new Subscribe(s));
  }

  /**
   * A re-list finished: the whole store is compared with the peer set once more, and a
   * difference makes the next drain full.
   */
  void relisted() {
    put(new Relisted());
  }

  /** Stops delivery to {@code s} (no-op if another sink replaced it). */
  void unsubscribe(PeerListener s) {
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
    boolean pending = false;
    for (Work w : batch) {
      if (w instanceof NodeTouched t) {
        if (store.isOwn(t.name())) {
          checkOwn();
        } else if (sink != null) {
          pending |= tracker.update(t.name(), store.reading(t.name()));
        }
      } else if (w instanceof Subscribe s) {
        deliver(pending);
        pending = false;
        sink = s.sink();
        // The first drain is given even when empty: it tells the subscriber it has the
        // complete picture.
        tracker.resync(store.readings());
        deliver(true);
        checkOwn();
      } else if (w instanceof Relisted) {
        if (sink != null) {
          pending |= tracker.resync(store.readings());
        }
        checkOwn();
      } else if (w instanceof Unsubscribe u) {
        deliver(pending);
        pending = false;
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

  private void checkOwn() {
    OwnNodeGuard g = guard;
    PeerListener s = sink;
    if (g != null && s != null) {
      g.check(store.ownView(), s);
    }
  }

  private void deliver(boolean changed) {
    PeerListener s = sink;
    if (!changed || s == null || closed) {
      return;
    }
    try {
      s.peersChanged(tracker.peers());
    } catch (RuntimeException e) {
      // A failing subscriber must not stop the loop; the next change or re-list tells it again.
      LOG.error("peer listener failed", e);
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
