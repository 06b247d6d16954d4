package io.jflannel.lab;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import inet.ipaddr.IPAddress;
import inet.ipaddr.IPAddressString;
import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The per-peer kernel state a flannel node holds, read with {@code ip}/{@code bridge} so the
 * check is independent of the daemon's own netlink code: for vxlan the routes, permanent
 * neighbours and FDB entries on {@code flannel.1}; for host-gw the routes inside the cluster
 * network via {@code eth0}; for udp nothing per peer (flanneld forwards in its own process),
 * so what it must hold is no route inside the network through flannel0 or eth0 except the one
 * for the whole network. {@link #expected} computes what they must be from the peers.
 *
 * @param routes "dst via gateway"
 * @param neighbours "ip lladdr" (vxlan only)
 * @param fdb "mac dst" (vxlan only)
 */
public record PeerDataplane(Set<String> routes, Set<String> neighbours, Set<String> fdb) {
  /** The VXLAN device for the default VNI. */
  public static final String VXLAN_DEVICE = "flannel.1";
  /** The udp backend's TUN device. */
  public static final String UDP_DEVICE = "flannel0";
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * What a peer contributes.
   *
   * @param subnet its subnet in network form
   * @param publicIp its underlay address
   * @param vtepMac its VXLAN device's MAC (vxlan only, else empty)
   */
  public record Peer(String subnet, String publicIp, Optional<String> vtepMac) {}

  /** The state {@code peers} should produce on a node. */
  public static PeerDataplane expected(LabBackend backend, List<Peer> peers) {
    Set<String> routes = new TreeSet<>();
    Set<String> neighbours = new TreeSet<>();
    Set<String> fdb = new TreeSet<>();
    if (backend == LabBackend.ALLOC || backend == LabBackend.UDP) {
      // alloc programs nothing for peers; udp keeps them in flanneld's own table
      return new PeerDataplane(routes, neighbours, fdb);
    }
    for (Peer p : peers) {
      if (backend.routesViaPeers()) {
        routes.add(p.subnet() + " via " + p.publicIp());
      } else {
        String gw = new IPAddressString(p.subnet()).getAddress().getLower()
            .withoutPrefixLength().toString();
        // A peer without its device yet cannot be matched: "(no vtep)" never equals a kernel
        // entry, so convergence waits for it.
        String mac = p.vtepMac().orElse("(no vtep)").toLowerCase(Locale.ROOT);
        routes.add(p.subnet() + " via " + gw);
        neighbours.add(gw + " " + mac);
        fdb.add(mac + " " + p.publicIp());
      }
    }
    return new PeerDataplane(routes, neighbours, fdb);
  }

  /** What node namespace {@code netns} holds now. */
  public static PeerDataplane observed(String netns, LabBackend backend, String network) {
    Set<String> routes = new TreeSet<>();
    Set<String> neighbours = new TreeSet<>();
    Set<String> fdb = new TreeSet<>();
    // alloc: the same look as host-gw, which must find nothing
    if (backend.routesViaPeers() || backend == LabBackend.ALLOC) {
      IPAddress net = new IPAddressString(network).getAddress();
      for (JsonNode r : json(Exec.check("ip", "-n", netns, "-j", "route", "show", "dev",
          Underlay.NODE_IFACE).stdout())) {
        String dst = r.path("dst").asText();
        IPAddress d = new IPAddressString(dst).getAddress();
        if (d != null && net.contains(d) && r.has("gateway")) {
          routes.add(withPrefix(dst) + " via " + r.path("gateway").asText());
        }
      }
      return new PeerDataplane(routes, neighbours, fdb);
    }
    if (backend == LabBackend.UDP) {
      IPAddress net = new IPAddressString(network).getAddress();
      for (String dev : List.of(UDP_DEVICE, Underlay.NODE_IFACE)) {
        if (!Exec.run("ip", "-n", netns, "link", "show", dev).ok()) {
          continue;
        }
        for (JsonNode r : json(Exec.check("ip", "-n", netns, "-j", "route", "show", "dev", dev).stdout())) {
          String dst = withPrefix(r.path("dst").asText());
          IPAddress d = new IPAddressString(dst).getAddress();
          if (d != null && net.contains(d) && !d.equals(net) && (dev.equals(UDP_DEVICE) || r.has("gateway"))) {
            routes.add(dst + " via " + r.path("gateway").asText("-") + " dev " + dev);
          }
        }
      }
      return new PeerDataplane(routes, neighbours, fdb);
    }
    if (!Exec.run("ip", "-n", netns, "link", "show", VXLAN_DEVICE).ok()) {
      return new PeerDataplane(routes, neighbours, fdb);
    }
    for (JsonNode r : json(Exec.check("ip", "-n", netns, "-j", "route", "show", "dev",
        VXLAN_DEVICE).stdout())) {
      routes.add(withPrefix(r.path("dst").asText()) + " via " + r.path("gateway").asText("-"));
    }
    for (JsonNode n : json(Exec.check("ip", "-n", netns, "-j", "neigh", "show", "dev",
        VXLAN_DEVICE).stdout())) {
      if (n.path("state").toString().contains("PERMANENT")) {
        neighbours.add(n.path("dst").asText() + " " + n.path("lladdr").asText().toLowerCase(Locale.ROOT));
      }
    }
    for (JsonNode f : json(Exec.runIn(netns, "bridge", "-j", "fdb", "show", "dev", VXLAN_DEVICE)
        .check().stdout())) {
      if (f.has("dst")) {
        fdb.add(f.path("mac").asText().toLowerCase(Locale.ROOT) + " " + f.path("dst").asText());
      }
    }
    return new PeerDataplane(routes, neighbours, fdb);
  }

  /** The MAC of the VXLAN device in {@code netns}, if it exists. */
  public static Optional<String> vtepMac(String netns) {
    Exec.Result r = Exec.run("ip", "-n", netns, "-j", "link", "show", VXLAN_DEVICE);
    if (!r.ok()) {
      return Optional.empty();
    }
    JsonNode links = json(r.stdout());
    return links.size() == 0 ? Optional.empty()
        : Optional.of(links.get(0).path("address").asText().toLowerCase(Locale.ROOT));
  }

  /** A readable difference between this (observed) and {@code want}. */
  public String diff(PeerDataplane want) {
    StringBuilder sb = new StringBuilder();
    diff(sb, "route", routes, want.routes);
    diff(sb, "neighbour", neighbours, want.neighbours);
    diff(sb, "fdb", fdb, want.fdb);
    return sb.toString();
  }

  private static void diff(StringBuilder sb, String what, Set<String> have, Set<String> want) {
    for (String w : want) {
      if (!have.contains(w)) {
        sb.append("  missing ").append(what).append(' ').append(w).append('\n');
      }
    }
    for (String h : have) {
      if (!want.contains(h)) {
        sb.append("  stale ").append(what).append(' ').append(h).append('\n');
      }
    }
  }

  private static String withPrefix(String dst) {
    return dst.contains("/") ? dst : dst + "/32";
  }

  private static JsonNode json(String text) {
    try {
      return text.isBlank() ? JSON.createArrayNode() : JSON.readTree(text);
    } catch (IOException e) {
      throw new LabException("cannot parse JSON from ip/bridge: " + text, e);
    }
  }
}
