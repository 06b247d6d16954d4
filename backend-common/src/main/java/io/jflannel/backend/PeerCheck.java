package io.jflannel.backend;

import io.jflannel.subnet.Lease;
import java.util.Optional;

/** A backend-specific rule a peer lease must pass (vxlan: a usable VTEP MAC; host-gw: on-link). */
@FunctionalInterface
public interface PeerCheck {

  /** Accepts everything. */
  PeerCheck NONE = peer -> Optional.empty();

  /** Why this peer cannot be programmed, or empty when it can. */
  Optional<Rejection> check(Lease peer);

  /** This rule, then {@code next} for a peer this one accepts. */
  default PeerCheck and(PeerCheck next) {
    return peer -> {
      Optional<Rejection> r = check(peer);
      return r.isPresent() ? r : next.check(peer);
    };
  }
}
