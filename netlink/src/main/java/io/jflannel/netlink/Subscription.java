package io.jflannel.netlink;

/** A running notification subscription; closing it closes its socket and stops its thread. */
public interface Subscription extends AutoCloseable {
  /** Whether the subscription still delivers events. */
  boolean isOpen();

  /** Stops delivery and releases the socket. Idempotent. */
  @Override
  void close();
}
