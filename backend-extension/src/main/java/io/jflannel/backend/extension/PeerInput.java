package io.jflannel.backend.extension;

import com.fasterxml.jackson.databind.JsonNode;
import io.jflannel.backend.PeerCheck;
import io.jflannel.backend.RejectReason;
import io.jflannel.backend.Rejection;
import io.jflannel.subnet.IpLiteral;
import io.jflannel.subnet.Lease;
import java.util.Map;
import java.util.Optional;

/**
 * What a peer's lease gives its SubnetAdd/SubnetRemove command, as upstream gives it: the
 * variables {@code SUBNET} and {@code PUBLIC_IP}, and on stdin the peer's backend data, which
 * is the JSON string its PreStartupCommand printed (nothing when it has none). Pure.
 */
final class PeerInput {
  private PeerInput() {
  }

  /** {@code SUBNET} and {@code PUBLIC_IP} of an accepted peer. */
  static Map<String, String> vars(Lease peer) {
    return CommandRunner.vars("SUBNET", peer.subnet().toString(),
        "PUBLIC_IP", IpLiteral.format(peer.attrs().publicIp()));
  }

  /** The text written to the command's stdin (before upstream's newline); valid data assumed. */
  static String stdin(Lease peer) {
    JsonNode data = peer.attrs().backendData();
    return data != null && data.isTextual() ? data.textValue() : "";
  }

  /**
   * Backend data must be absent, JSON null, or a JSON string: upstream cannot decode anything
   * else and skips the peer; here the peer is refused with a reason (and counted).
   */
  static PeerCheck check() {
    return peer -> {
      JsonNode data = peer.attrs().backendData();
      if (data == null || data.isNull() || data.isTextual()) {
        return Optional.empty();
      }
      String text = peer.attrs().backendDataJson();
      return Optional.of(new Rejection(RejectReason.BACKEND_DATA_INVALID, "backend data "
          + (text.length() > 80 ? text.substring(0, 77) + "..." : text)
          + " is not a JSON string (an extension peer publishes its PreStartupCommand's output as one)"));
    };
  }
}
