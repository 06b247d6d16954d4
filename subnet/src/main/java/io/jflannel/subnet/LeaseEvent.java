package io.jflannel.subnet;

/** A change of a peer's lease as seen by a subnet manager. */
public sealed interface LeaseEvent {

  /** The lease concerned; for a removal, the last known state of it. */
  Lease lease();

  /** A peer lease appeared or changed (same subnet, new attributes). */
  record Added(Lease lease) implements LeaseEvent {}

  /** A peer lease disappeared (expired, deleted, node deleted). */
  record Removed(Lease lease) implements LeaseEvent {}
}
