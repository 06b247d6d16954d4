package io.jflannel.subnet;

import java.util.List;

/** Receives peer lease changes from {@link SubnetManager#watchLeases}. */
public interface LeaseSink {

  /** A batch of peer changes, the own lease filtered out. Called from the manager's thread. */
  void onEvents(List<LeaseEvent> events);

  /**
   * The own lease was deleted from the store by someone else. The daemon logs it and exits
   * with status 0 (upstream behaviour).
   */
  default void onOwnLeaseLost(Lease lease) {}
}
