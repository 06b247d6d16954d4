package io.jflannel.backend;

import io.jflannel.subnet.IpNet;
import io.jflannel.subnet.Lease;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

/**
 * The rules a peer lease must pass to be programmed (docs/compatibility.md#peer-validation):
 * alone ({@link #checkAlone}) and against the accepted peers (its exclusive {@link #claim}),
 * which {@link PeerBook} applies. Pure: no I/O, no logging; the caller reports the rejections.
 *
 * <p>Overlaps between peers are resolved in favour of the peer accepted first: peers that
 * were accepted by the previous pass keep their place, the rest are taken in key order, so a
 * newcomer can never push out a working peer and the outcome does not depend on input order.
 */
public final class PeerValidator {
  private final IpNet network;
  private final IpNet ownSubnet;
  private final String backendType;
  private final PeerCheck backendCheck;
  private final Function<Lease, ?> claim;

  /**
   * @param network      the cluster Network (IPv4)
   * @param ownSubnet    this node's subnet
   * @param backendType  our backend type; peers must publish the same
   * @param backendCheck the backend's own rule (VTEP MAC, on-link)
   * @param claim        a resource only one peer may hold (vxlan: its VTEP MAC, a {@link Claim}), or null
   */
  public PeerValidator(IpNet network, IpNet ownSubnet, String backendType, PeerCheck backendCheck,
                       Function<Lease, ?> claim) {
    this.network = Objects.requireNonNull(network, "network");
    this.ownSubnet = Objects.requireNonNull(ownSubnet, "ownSubnet");
    this.backendType = Objects.requireNonNull(backendType, "backendType");
    this.backendCheck = backendCheck == null ? PeerCheck.NONE : backendCheck;
    this.claim = claim;
  }

  /** A validator without an exclusive claim. */
  public PeerValidator(IpNet network, IpNet ownSubnet, String backendType, PeerCheck backendCheck) {
    this(network, ownSubnet, backendType, backendCheck, null);
  }

  /** The peer's exclusive claim, or null when the backend has none. */
  Object claim(Lease peer) {
    return claim == null ? null : claim.apply(peer);
  }

  /** The rules that concern one lease alone; null when it passes them. */
  Rejection checkAlone(Lease peer) {
    // Exact, as upstream compares it; an absent type is Go's empty string (an alloc lease).
    String type = Objects.requireNonNullElse(peer.attrs().backendType(), "");
    if (!backendType.equals(type)) {
      return new Rejection(RejectReason.BACKEND_TYPE_MISMATCH,
          "backend type \"" + type + "\" differs from ours (\"" + backendType + "\")");
    }
    IpNet s = peer.subnet();
    if (s == null) {
      return new Rejection(RejectReason.NO_SUBNET, "lease has no IPv4 subnet");
    }
    if (!s.isIpv4() || !network.contains(s)) {
      return new Rejection(RejectReason.SUBNET_OUTSIDE_NETWORK, "subnet " + s + " is outside Network " + network);
    }
    if (ownSubnet.overlaps(s)) {
      return new Rejection(RejectReason.SUBNET_OVERLAPS_OWN, "subnet " + s + " overlaps our own subnet " + ownSubnet);
    }
    InetAddress ip = peer.attrs().publicIp();
    if (!(ip instanceof Inet4Address)) {
      return new Rejection(RejectReason.PUBLIC_IP_MISSING, "lease has no IPv4 public IP");
    }
    String bad = badUnicast(ip);
    if (bad != null) {
      return new Rejection(RejectReason.PUBLIC_IP_INVALID, "public IP " + ip.getHostAddress() + " is " + bad);
    }
    return backendCheck.check(peer).orElse(null);
  }

  /** Why an address cannot be a tunnel or next-hop endpoint, or null when it can. */
  static String badUnicast(InetAddress ip) {
    if (ip.isAnyLocalAddress()) {
      return "unspecified";
    }
    if (ip.isLoopbackAddress()) {
      return "loopback";
    }
    if (ip.isMulticastAddress()) {
      return "multicast";
    }
    byte[] b = ip.getAddress();
    if (b.length == 4 && (b[0] & b[1] & b[2] & b[3]) == (byte) 0xff) {
      return "the broadcast address";
    }
    if (b.length == 4 && (b[0] & 0xff) >= 240) {
      return "reserved (240.0.0.0/4)";
    }
    if (b.length == 4 && b[0] == 0) {
      return "in 0.0.0.0/8 (this network)";
    }
    return null;
  }
}
