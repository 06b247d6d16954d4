package io.jflannel.backend.extension;

import io.jflannel.backend.BackendContext;
import io.jflannel.backend.BackendListener;
import io.jflannel.backend.BackendListener.ResyncKind;
import io.jflannel.backend.Network;
import io.jflannel.backend.PeerBook;
import io.jflannel.backend.PeerValidator;
import io.jflannel.backend.Rejection;
import io.jflannel.subnet.Lease;
import io.jflannel.subnet.PeerChanges;
import io.jflannel.subnet.Threads;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The extension backend's {@link Network}: validates peers with the shared {@link PeerBook}
 * and runs {@code SubnetAddCommand} for every accepted peer whose lease it has not run it for,
 * {@code SubnetRemoveCommand} for every peer it ran it for that is gone (removed or now
 * refused). What ran is remembered only in memory: after a restart every peer gets its add
 * command again, as upstream does, and a peer removed while the daemon was down gets no
 * remove command (docs/decisions/1041).
 *
 * <p>A pass runs the remove commands, then the add commands, up to {@link #WORKERS} at a time,
 * each at most the runner's timeout, so a hanging or failing command delays no other peer by
 * more than that. A failed command is logged (once, and again when its error changes), counted
 * ({@link BackendListener#commandFailed}) and run again by the next pass: a retry after 1 s
 * doubling to 60 s, and the periodic resync.
 */
final class ExtensionNetwork implements Network {
  private static final Logger LOG = LoggerFactory.getLogger(ExtensionNetwork.class);
  /** Commands run side by side in one pass. */
  static final int WORKERS = 4;
  static final Duration FIRST_RETRY = Duration.ofSeconds(1);
  static final Duration MAX_RETRY = Duration.ofSeconds(60);
  /** At most this many failures are logged one by one per pass; the rest in a sum. */
  static final int PEER_LINES = 10;

  private final Lease lease;
  private final int mtu;
  private final ExtensionOptions opts;
  private final CommandRunner runner;
  private final Path dir;
  private final BackendListener listener;
  private final Duration resyncInterval;
  private final ExecutorService workers;
  private final ScheduledExecutorService scheduler;

  private final Object passLock = new Object();
  // Guarded by passLock:
  private final PeerBook book;
  /** Per peer, the lease its add command last ran for (successfully or not). */
  private final Map<String, Lease> ran = new HashMap<>();
  /** Peers whose last command failed, with the failure as logged. */
  private final Map<String, String> failing = new HashMap<>();
  private boolean seeded;
  private int retries;
  private ScheduledFuture<?> retry;
  private volatile boolean closed;

  ExtensionNetwork(BackendContext ctx, Lease lease, int mtu, PeerValidator validator, ExtensionOptions opts,
                   CommandRunner runner, Path dir) {
    this.lease = Objects.requireNonNull(lease, "lease");
    this.mtu = mtu;
    this.opts = opts;
    this.runner = runner;
    this.dir = dir;
    this.listener = ctx.listener();
    this.resyncInterval = ctx.resyncInterval();
    this.book = new PeerBook(validator);
    this.workers = Executors.newFixedThreadPool(WORKERS, Threads.factory("extension-command"));
    this.scheduler = Executors.newSingleThreadScheduledExecutor(Threads.single("extension-reconciler"));
  }

  @Override
  public Lease lease() {
    return lease;
  }

  @Override
  public int mtu() {
    return mtu;
  }

  @Override
  public void reconcile(PeerChanges changes) {
    synchronized (passLock) {
      if (closed) {
        return;
      }
      book.update(changes);
      seeded = true;
      book.newlyRejected().forEach((key, l) -> {
        Rejection r = book.rejected().get(key);
        String ip = l.attrs().publicIp() == null ? "?" : l.attrs().publicIp().getHostAddress();
        LOG.warn("rejecting peer {} (public IP {}): {}: {}", key, ip, r.reason().label(), r.detail());
        listener.peerRejected(key, r.reason());
      });
      pass(null);
    }
  }

  @Override
  public void start() {
    if (closed) {
      throw new IllegalStateException("network is closed");
    }
    long period = resyncInterval.toMillis();
    scheduler.scheduleWithFixedDelay(() -> scheduledPass(ResyncKind.PERIODIC), period, period, TimeUnit.MILLISECONDS);
  }

  /** Kills the commands still running; what they set up stays, as every backend's dataplane does. */
  @Override
  public void close() {
    closed = true;
    scheduler.shutdownNow();
    workers.shutdownNow();
    try {
      workers.awaitTermination(10, TimeUnit.SECONDS);
      scheduler.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    deleteDir(dir);
  }

  /** Peers whose add command last succeeded for their current lease (tests and diagnostics). */
  Map<String, Lease> applied() {
    synchronized (passLock) {
      Map<String, Lease> out = new TreeMap<>();
      book.accepted().forEach((k, l) -> {
        if (!failing.containsKey(k) && sameLease(ran.get(k), l)) {
          out.put(k, l);
        }
      });
      return out;
    }
  }

  /** Peers whose last command failed, with why. */
  Map<String, String> failingPeers() {
    synchronized (passLock) {
      return new TreeMap<>(failing);
    }
  }

  /** Peers refused so far, with the reason. */
  Map<String, Rejection> rejectedPeers() {
    synchronized (passLock) {
      return Map.copyOf(book.rejected());
    }
  }

  /** Runs a pass now on the caller's thread, as the periodic resync would. */
  void resyncNow() {
    synchronized (passLock) {
      if (seeded && !closed) {
        pass(ResyncKind.PERIODIC);
      }
    }
  }

  private void retryPass() {
    synchronized (passLock) {
      retry = null; // this one is running: the pass schedules the next if peers still fail
      scheduledPass(ResyncKind.RETRY);
    }
  }

  private void scheduledPass(ResyncKind kind) {
    synchronized (passLock) {
      if (seeded && !closed) {
        pass(kind);
      }
    }
  }

  /** A peer's lease for the commands: its subnet and what it publishes (not its expiry). */
  static boolean sameLease(Lease a, Lease b) {
    return a != null && b != null && Objects.equals(a.subnet(), b.subnet()) && a.attrs().equals(b.attrs());
  }

  /** How metrics and logs name a command option: {@code SubnetAddCommand} → {@code subnet_add}. */
  static String label(String option) {
    return option.replace("Command", "").replaceAll("([a-z])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT);
  }

  private record Job(String key, Lease peer, boolean add) {
    String option() {
      return add ? ExtensionOptions.ADD : ExtensionOptions.REMOVE;
    }
  }

  /** One pass; {@code trigger} is null when the desired peers changed. Caller holds passLock. */
  private void pass(ResyncKind trigger) {
    long t0 = System.nanoTime();
    List<Job> removes = new ArrayList<>();
    List<Job> adds = new ArrayList<>();
    ran.forEach((k, l) -> {
      if (!book.accepted().containsKey(k)) {
        removes.add(new Job(k, l, false));
      }
    });
    book.accepted().forEach((k, l) -> {
      if (failing.containsKey(k) || !sameLease(ran.get(k), l)) {
        adds.add(new Job(k, l, true));
      }
    });
    if (trigger != null) {
      listener.resync(trigger);
    }
    int started = 0;
    int failed = 0;
    int ranCommands = 0;
    for (List<Job> phase : List.of(sorted(removes), sorted(adds))) {
      Map<Job, Future<CommandRunner.Result>> running = new LinkedHashMap<>();
      for (Job j : phase) {
        String command = j.add() ? opts.subnetAdd() : opts.subnetRemove();
        if (command.isEmpty()) {
          done(j); // nothing configured for this event: as good as done
          continue;
        }
        running.put(j, workers.submit(() -> runner.run(command, PeerInput.vars(j.peer()), PeerInput.stdin(j.peer()))));
      }
      for (Map.Entry<Job, Future<CommandRunner.Result>> e : running.entrySet()) {
        Job j = e.getKey();
        CommandRunner.Result r = result(e.getValue());
        if (r == null) {
          return; // closing
        }
        ranCommands++;
        if (r.ok()) {
          boolean recovered = failing.containsKey(j.key());
          done(j);
          LOG.debug("extension: ran {} {} for peer {}, output: {}", j.option(), r.argv(), j.key(),
              CommandRunner.tail(r.output()));
          if (recovered) {
            LOG.info("extension: {} for peer {} succeeded after failing", j.option(), j.key());
          }
          continue;
        }
        failed++;
        listener.commandFailed(label(j.option()), r.reason());
        String why = j.option() + " " + r.argv() + " " + r.describe();
        String before = failing.put(j.key(), why);
        if (j.add()) {
          ran.put(j.key(), j.peer());
        }
        boolean fresh = !why.equals(before);
        if (fresh && started++ < PEER_LINES) {
          LOG.warn("extension: peer {} (SUBNET={} PUBLIC_IP={}): {}; running it again on the next pass", j.key(),
              j.peer().subnet(), j.peer().attrs().publicIp().getHostAddress(), why);
        } else {
          LOG.debug("extension: peer {}: {}", j.key(), why);
        }
      }
    }
    if (started > PEER_LINES) {
      LOG.warn("extension: ... and {} more peers whose command failed (each at debug); {} failing in all",
          started - PEER_LINES, failing.size());
    }
    failing.keySet().removeIf(k -> !book.accepted().containsKey(k) && !ran.containsKey(k));
    listener.peersFailing(failing.size());
    listener.peersProgrammed((int) book.accepted().keySet().stream().filter(k -> !failing.containsKey(k)).count());
    if (ranCommands > 0) {
      Duration took = Duration.ofNanos(System.nanoTime() - t0);
      listener.programmingLatency(took, ranCommands);
      String msg = String.format("extension %s pass: %d peers, %d commands run, %d failed, in %.1f ms",
          trigger == null ? "reconcile" : trigger.name().toLowerCase(Locale.ROOT), book.accepted().size(),
          ranCommands, failed, took.toNanos() / 1e6);
      if (failed > 0 || trigger == null) {
        LOG.info(msg);
      } else {
        LOG.debug(msg);
      }
    }
    if (failing.isEmpty()) {
      retries = 0;
      if (retry != null) {
        retry.cancel(false);
        retry = null;
      }
    } else if (retry == null || retry.isDone()) {
      long delay = Math.min(MAX_RETRY.toMillis(), FIRST_RETRY.toMillis() << Math.min(retries, 6));
      retries++;
      retry = Threads.trySchedule(scheduler, this::retryPass, delay, TimeUnit.MILLISECONDS);
    }
  }

  /** The command for {@code j} succeeded (or none is configured). Caller holds passLock. */
  private void done(Job j) {
    failing.remove(j.key());
    if (j.add()) {
      ran.put(j.key(), j.peer());
    } else {
      ran.remove(j.key());
    }
  }

  private static List<Job> sorted(List<Job> jobs) {
    jobs.sort(Comparator.comparing(Job::key));
    return jobs;
  }

  /** The command's result; null when the network is closing (the command was killed). */
  private CommandRunner.Result result(Future<CommandRunner.Result> f) {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    } catch (ExecutionException e) {
      // The runner reports command failures in its result; this is a failure of our own files.
      throw new IllegalStateException("extension: " + e.getCause().getMessage(), e.getCause());
    } catch (java.util.concurrent.CancellationException e) {
      return null;
    }
  }

  /** Removes the commands' private directory and whatever a killed command left in it. */
  static void deleteDir(Path dir) {
    if (dir == null) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException e) {
          LOG.debug("cannot delete {}: {}", p, e.getMessage());
        }
      });
    } catch (IOException e) {
      LOG.debug("cannot delete {}: {}", dir, e.getMessage());
    }
  }
}
