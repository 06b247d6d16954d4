package io.jflannel.backend;

import java.util.Objects;

/**
 * A reason a peer lease is refused, with the detail a log reader needs.
 *
 * @param reason the kind, used as the metric label
 * @param detail what exactly is wrong, e.g. {@code public IP 127.0.0.1 is loopback}
 */
public record Rejection(RejectReason reason, String detail) {
  public Rejection {
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(detail, "detail");
  }
}
