package io.jflannel.subnet;

/**
 * Shared constants for the few values nearly every peer's lease or Node carries (the backend
 * type, {@code kube-subnet-manager: true}): with thousands of peers, one String each instead
 * of a copy per peer.
 */
public final class CommonValues {
  private CommonValues() {
  }

  /** The shared constant equal to {@code value}, or {@code value} itself (also for null). */
  public static String shared(String value) {
    if (value == null) {
      return null;
    }
    return switch (value) {
      case "vxlan" -> "vxlan";
      case "host-gw" -> "host-gw";
      case "true" -> "true";
      case "false" -> "false";
      default -> value;
    };
  }
}
