package io.jflannel.subnet.kube;

import io.jflannel.subnet.IpLiteral;
import io.jflannel.subnet.IpNet;
import io.jflannel.subnet.LeaseAttrs;
import io.jflannel.subnet.NetworkConfig;
import io.jflannel.subnet.SubnetException;
import java.net.InetAddress;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * What this node's own Node object says and what we write back to it. Pure; the manager does
 * the reading and patching.
 */
final class OwnNode {

  /** This node's subnets (network form); a family is null when disabled in the config. */
  record Subnets(IpNet ipv4, IpNet ipv6) {}

  private final NodeView view;
  private final AnnotationKeys keys;

  OwnNode(NodeView view, AnnotationKeys keys) {
    this.view = view;
    this.keys = keys;
  }

  /** True when every pod CIDR family the config needs is present (parsable or not). */
  boolean hasPodCidrs(NetworkConfig config) {
    boolean v4 = false;
    boolean v6 = false;
    for (String c : view.podCidrs()) {
      if (c.indexOf(':') >= 0) {
        v6 = true;
      } else {
        v4 = true;
      }
    }
    return (!config.enableIpv4() || v4) && (!config.enableIpv6() || v6);
  }

  /**
   * The subnets from {@code spec.podCIDRs} (first of each family; {@code spec.podCIDR} when the
   * list is empty), checked against the configured networks.
   *
   * @throws SubnetException {@code node "<name>" pod cidr not assigned}, an unparsable pod CIDR,
   *     or a pod CIDR outside Network (naming both)
   */
  Subnets subnets(NetworkConfig config) throws SubnetException {
    IpNet v4 = null;
    IpNet v6 = null;
    for (String text : view.podCidrs()) {
      IpNet net;
      try {
        net = PeerReader.parseCidr(text);
      } catch (IllegalArgumentException e) {
        throw new SubnetException("node \"" + view.name() + "\" has an invalid pod cidr: "
            + e.getMessage(), e);
      }
      if (net.isIpv4() && v4 == null) {
        v4 = net;
      } else if (!net.isIpv4() && v6 == null) {
        v6 = net;
      }
    }
    if (config.enableIpv4()) {
      if (v4 == null) {
        throw new SubnetException("node \"" + view.name() + "\" pod cidr not assigned");
      }
      requireInside(v4, config.network(), "Network");
    }
    if (config.enableIpv6()) {
      if (v6 == null) {
        throw new SubnetException("node \"" + view.name() + "\" IPv6 pod cidr not assigned");
      }
      requireInside(v6, config.ipv6Network(), "IPv6Network");
    }
    return new Subnets(config.enableIpv4() ? v4 : null, config.enableIpv6() ? v6 : null);
  }

  private void requireInside(IpNet podCidr, IpNet network, String field) throws SubnetException {
    if (network == null) {
      throw new SubnetException("pod cidr " + podCidr + " of node \"" + view.name()
          + "\" cannot be checked: " + field + " is not set in the network config");
    }
    if (!network.contains(podCidr)) {
      throw new SubnetException("pod cidr " + podCidr + " of node \"" + view.name()
          + "\" is outside the flannel " + field + " " + network);
    }
  }

  /**
   * The attributes we advertise: {@code attrs} with the public addresses replaced by the
   * operator's {@code public-ip-overwrite} / {@code public-ipv6-overwrite} annotations if set.
   *
   * @throws SubnetException when an overwrite annotation is not an address of its family
   */
  LeaseAttrs advertised(LeaseAttrs attrs) throws SubnetException {
    InetAddress v4 = attrs.publicIp();
    InetAddress v6 = attrs.publicIpv6();
    Optional<InetAddress> o4 = address(keys.publicIpOverwrite(), false);
    Optional<InetAddress> o6 = address(keys.publicIpv6Overwrite(), true);
    if (o4.isPresent()) {
      v4 = o4.get();
    }
    if (o6.isPresent()) {
      v6 = o6.get();
    }
    return new LeaseAttrs(v4, v6, attrs.backendType(), attrs.backendData(), attrs.backendV6Data());
  }

  /**
   * The annotations to publish for {@code advertised} (already overwritten), in the order
   * flannel documents them. IPv4 keys only when IPv4 is enabled, IPv6 keys only when IPv6 is
   * enabled and an IPv6 address is advertised.
   */
  Map<String, String> desiredAnnotations(LeaseAttrs advertised, NetworkConfig config) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put(keys.backendType(), advertised.backendType());
    if (config.enableIpv4()) {
      m.put(keys.backendData(), PeerReader.renderJson(advertised.backendData()));
      if (advertised.publicIp() != null) {
        m.put(keys.publicIp(), IpLiteral.format(advertised.publicIp()));
      }
    }
    if (config.enableIpv6() && advertised.publicIpv6() != null) {
      m.put(keys.backendV6Data(), PeerReader.renderJson(advertised.backendV6Data()));
      m.put(keys.publicIpv6(), IpLiteral.format(advertised.publicIpv6()));
    }
    m.put(keys.kubeSubnetManager(), "true");
    return m;
  }

  /** The entries of {@code desired} whose value differs from the node's current annotations. */
  Map<String, String> missingOrDifferent(Map<String, String> desired) {
    Map<String, String> diff = new LinkedHashMap<>();
    desired.forEach((k, v) -> {
      if (!v.equals(view.annotation(k))) {
        diff.put(k, v);
      }
    });
    return diff;
  }

  /**
   * What this node published before (its own annotations), when they form usable attributes:
   * at least a backend type. Unparsable parts are left out rather than failing start-up.
   */
  Optional<LeaseAttrs> previousAttrs() {
    String type = view.annotation(keys.backendType());
    if (type == null || type.isBlank()) {
      return Optional.empty();
    }
    return Optional.of(new LeaseAttrs(
        quietAddress(keys.publicIp(), false),
        quietAddress(keys.publicIpv6(), true),
        type,
        quietJson(keys.backendData()),
        quietJson(keys.backendV6Data())));
  }

  /**
   * The address in annotation {@code key} (IPv6 when {@code v6}), empty when absent.
   *
   * @throws SubnetException naming the annotation when its value is not such an address
   */
  Optional<InetAddress> address(String key, boolean v6) throws SubnetException {
    String text = view.annotation(key);
    if (text == null || text.isBlank()) {
      return Optional.empty();
    }
    try {
      return Optional.of(v6 ? IpLiteral.parseV6(text) : IpLiteral.parseV4(text));
    } catch (IllegalArgumentException e) {
      throw new SubnetException("annotation " + key + " on node \"" + view.name() + "\": "
          + e.getMessage(), e);
    }
  }

  private InetAddress quietAddress(String key, boolean v6) {
    try {
      return address(key, v6).orElse(null);
    } catch (SubnetException e) {
      return null;
    }
  }

  private com.fasterxml.jackson.databind.JsonNode quietJson(String key) {
    String text = view.annotation(key);
    if (text == null) {
      return null;
    }
    try {
      return PeerReader.parseJson(text);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
