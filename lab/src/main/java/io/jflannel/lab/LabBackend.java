package io.jflannel.lab;

import java.util.Arrays;
import java.util.stream.Collectors;

/** The flannel backends the lab can run. */
public enum LabBackend {
  VXLAN("vxlan"),
  HOST_GW("host-gw"),
  /** Leases and subnet.env only: nothing carries pod traffic between nodes. */
  ALLOC("alloc"),
  /** Upstream's host-gw-like example commands: a route per peer via its address. */
  EXTENSION("extension"),
  /** A TUN device and flanneld's own packet loop: no per-peer kernel state to look at. */
  UDP("udp");

  /** The extension commands the lab runs (inside each node's namespace, as flanneld runs there). */
  static final String EXTENSION_COMMANDS = "\"SubnetAddCommand\":\"ip route replace $SUBNET via $PUBLIC_IP\","
      + "\"SubnetRemoveCommand\":\"ip route del $SUBNET via $PUBLIC_IP\"";

  private final String type;

  LabBackend(String type) {
    this.type = type;
  }

  /** The backend type as written in net-conf.json. */
  public String type() {
    return type;
  }

  /** The {@code Backend} object of net-conf.json. */
  public String backendJson() {
    return "{\"Type\":\"" + type + "\"" + (this == EXTENSION ? "," + EXTENSION_COMMANDS : "") + "}";
  }

  /**
   * Whether pods on different nodes should reach each other: not with alloc, which programs
   * nothing for peers (the lab checks its leases and subnet.env instead).
   */
  public boolean carriesPodTraffic() {
    return this != ALLOC;
  }

  /** Whether peers show as routes via their underlay address on the node's interface (host-gw, extension). */
  public boolean routesViaPeers() {
    return this == HOST_GW || this == EXTENSION;
  }

  /** Parses {@code vxlan}, {@code host-gw}, {@code alloc}, {@code extension} or {@code udp}. */
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
