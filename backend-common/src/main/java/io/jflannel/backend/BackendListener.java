package io.jflannel.backend;

import java.time.Duration;

/**
 * Metrics hooks of a backend. Every method has a no-op default; the daemon adapts them to
 * Prometheus metrics. Called from the reconciling thread: implementations must be quick.
 */
public interface BackendListener {

  /** Ignores everything. */
  BackendListener NOOP = new BackendListener() {
  };

  /** Kinds of kernel objects a backend programs. */
  enum ObjectKind { ROUTE, NEIGH, FDB, DEVICE, ADDRESS }

  /** Why a pass ran other than because the desired peers changed. */
  enum ResyncKind {
    /** A netlink notification showed a desired object deleted or changed. */
    EVENT,
    /** The flannel device disappeared, went down or lost its address. */
    DEVICE,
    /** The external interface came back up, was created again or changed its addresses. */
    LINK,
    /** The kernel dropped notifications (ENOBUFS): full resync. */
    OVERRUN,
    /** The slow periodic safety-net resync. */
    PERIODIC,
    /** A retry after a failed pass. */
    RETRY
  }

  /** Gauge: peers whose kernel objects are all in place after a pass. */
  default void peersProgrammed(int count) {
  }

  /** One pass that changed the kernel: how long it took and how many requests it sent. */
  default void programmingLatency(Duration latency, int ops) {
  }

  /** A netlink request failed with this errno name ({@code EEXIST}, {@code ENETUNREACH}, …). */
  default void netlinkError(String errnoName) {
  }

  /** A pass ran for this reason (not counted for passes caused by {@code reconcile(peers)}). */
  default void resync(ResyncKind kind) {
  }

  /** Objects of a known peer that were missing or wrong in the kernel and were put back. */
  default void repaired(ObjectKind kind, int count) {
  }

  /** Objects owned by jflannel that no current peer wants (removed peers, start-up leftovers) were deleted. */
  default void staleRemoved(ObjectKind kind, int count) {
  }

  /** A peer lease was rejected by validation and is not programmed. Called once per peer and reason. */
  default void peerRejected(String peer, RejectReason reason) {
  }

  /**
   * Gauge: accepted peers the kernel refused in the last pass that looked at them (their
   * earlier steps undone, retried with backoff). Set after every pass.
   */
  default void peersFailing(int count) {
  }

  /**
   * A command of the extension backend failed: {@code command} is {@code pre_startup},
   * {@code post_startup}, {@code subnet_add} or {@code subnet_remove}, {@code reason} is
   * {@code exit} (a non-zero status), {@code timeout} (killed) or {@code start} (could not be started).
   */
  default void commandFailed(String command, String reason) {
  }

  /**
   * The udp backend's running count of packets it dropped for {@code reason} ({@code no_route},
   * {@code ttl}, {@code malformed}, {@code not_ipv4}, {@code send_error}, {@code write_error}), read at each scrape;
   * registered once per reason when the network is set up. The packet loop only bumps the count.
   */
  default void packetDrops(String reason, java.util.function.LongSupplier count) {
  }
}
