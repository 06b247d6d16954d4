package io.jflannel.subnet.kube;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.jflannel.subnet.IpLiteral;
import io.jflannel.subnet.IpNet;
import io.jflannel.subnet.JsonTrees;
import io.jflannel.subnet.Lease;
import io.jflannel.subnet.LeaseAttrs;
import java.net.InetAddress;

/**
 * Turns a peer node's {@link NodeView} into the {@link Lease} it advertises, or says why it
 * cannot: not a flannel node (yet), or a malformed field. Pure; no I/O.
 */
final class PeerReader {

  /** The outcome of reading one node. */
  sealed interface Reading {}

  /** The node advertises this lease. */
  record Peer(Lease lease) implements Reading {}

  /**
   * The node is not a flannel peer: no {@code kube-subnet-manager=true} annotation, or no pod
   * CIDR assigned yet. Not an error.
   */
  record NotPeer(String why) implements Reading {}

  /** The node claims to be a peer but a field is unusable; {@code field} names it. */
  record Malformed(String field, String problem) implements Reading {}

  private final AnnotationKeys keys;
  private final boolean ipv4;
  private final boolean ipv6;
  // One instance each for every node that is not a peer (readings are kept per node).
  private final NotPeer unmanaged;
  private static final NotPeer NO_POD_CIDR = new NotPeer("no pod cidr assigned");

  PeerReader(AnnotationKeys keys, boolean enableIpv4, boolean enableIpv6) {
    this.keys = keys;
    this.unmanaged = new NotPeer("no " + keys.kubeSubnetManager() + "=true annotation");
    this.ipv4 = enableIpv4;
    this.ipv6 = enableIpv6;
  }

  Reading read(NodeView node) {
    if (!"true".equals(node.annotation(keys.kubeSubnetManager()))) {
      return unmanaged;
    }
    if (node.podCidrs().isEmpty()) {
      return NO_POD_CIDR;
    }
    IpNet v4 = null;
    IpNet v6 = null;
    for (String text : node.podCidrs()) {
      IpNet net;
      try {
        net = parseCidr(text);
      } catch (IllegalArgumentException e) {
        return new Malformed("spec.podCIDRs", e.getMessage());
      }
      if (net.isIpv4() && v4 == null) {
        v4 = net;
      } else if (!net.isIpv4() && v6 == null) {
        v6 = net;
      }
    }
    if (ipv4 && v4 == null) {
      return new Malformed("spec.podCIDRs", "no IPv4 pod cidr in " + node.podCidrs());
    }
    if (ipv6 && v6 == null) {
      return new Malformed("spec.podCIDRs", "no IPv6 pod cidr in " + node.podCidrs());
    }
    // Present but empty is upstream's alloc backend, which publishes no type (decision 1040).
    String type = node.annotation(keys.backendType());
    if (type == null) {
      return new Malformed(keys.backendType(), "missing");
    }
    if (!type.isEmpty() && type.isBlank()) {
      return new Malformed(keys.backendType(), "blank");
    }
    InetAddress publicIp = null;
    JsonNode data = null;
    if (ipv4) {
      String text = node.annotation(keys.publicIp());
      if (text == null) {
        return new Malformed(keys.publicIp(), "missing");
      }
      try {
        publicIp = IpLiteral.parseV4(text);
      } catch (IllegalArgumentException e) {
        return new Malformed(keys.publicIp(), e.getMessage());
      }
      try {
        data = parseJson(node.annotation(keys.backendData()));
      } catch (IllegalArgumentException e) {
        return new Malformed(keys.backendData(), e.getMessage());
      }
    }
    InetAddress publicIpv6 = null;
    JsonNode v6Data = null;
    if (ipv6) {
      String text = node.annotation(keys.publicIpv6());
      if (text == null) {
        return new Malformed(keys.publicIpv6(), "missing");
      }
      try {
        publicIpv6 = IpLiteral.parseV6(text);
      } catch (IllegalArgumentException e) {
        return new Malformed(keys.publicIpv6(), e.getMessage());
      }
      try {
        v6Data = parseJson(node.annotation(keys.backendV6Data()));
      } catch (IllegalArgumentException e) {
        return new Malformed(keys.backendV6Data(), e.getMessage());
      }
    }
    LeaseAttrs attrs = new LeaseAttrs(publicIp, publicIpv6, type, data, v6Data);
    return new Peer(new Lease(ipv4 ? v4 : null, ipv6 ? v6 : null, attrs, null));
  }

  /**
   * Parses a pod CIDR strictly ({@link IpNet#parseNetwork}): a bare address, a leading zero
   * ({@code 012.244.2.0/24}, which the API server reads as 12.244.2.0/24 and a lenient parser
   * as 10.244.2.0/24), whitespace, an IPv4-mapped IPv6 network or host bits are refused, so a
   * Node can never claim another node's subnet through a second spelling of it.
   */
  static IpNet parseCidr(String text) {
    return IpNet.parseNetwork(text);
  }

  /** Parses raw JSON from an annotation; absent text is refused. */
  static JsonNode parseJson(String text) {
    if (text == null) {
      throw new IllegalArgumentException("missing");
    }
    try {
      JsonNode n = JsonTrees.read(text); // as strict as etcd lease values
      if (n == null) {
        throw new IllegalArgumentException("empty, expected JSON");
      }
      return n;
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(
          "invalid JSON " + abbreviate(text) + ": " + e.getOriginalMessage(), e);
    }
  }

  /** Renders backend data as the annotation text: compact JSON, {@code null} when absent. */
  static String renderJson(JsonNode data) {
    if (data == null) {
      return "null";
    }
    return JsonTrees.text(data);
  }

  private static String abbreviate(String text) {
    String t = text.length() > 80 ? text.substring(0, 77) + "..." : text;
    return "\"" + t + "\"";
  }
}
