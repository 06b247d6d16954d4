package io.jflannel.lab;

import java.util.Arrays;
import java.util.stream.Collectors;

/** The flannel backends the lab can run. */
public enum LabBackend {
  VXLAN("vxlan"),
  HOST_GW("host-gw"),
  /** A TUN device and flanneld's own packet loop: no per-peer kernel state to look at. */
  UDP("udp");

  private final String type;

  LabBackend(String type) {
    this.type = type;
  }

  /** The backend type as written in net-conf.json. */
  public String type() {
    return type;
  }

  /** Parses {@code vxlan}, {@code host-gw} or {@code udp}. */
  public static LabBackend parse(String text) {
    for (LabBackend b : values()) {
      if (b.type.equalsIgnoreCase(text)) {
        return b;
      }
    }
    throw new IllegalArgumentException("unknown backend '" + text + "', expected one of "
        + Arrays.stream(values()).map(LabBackend::type).collect(Collectors.joining(", ")));
  }

  @Override
  public String toString() {
    return type;
  }
}
