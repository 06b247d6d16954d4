package io.jflannel.subnet.kube;

import java.util.regex.Pattern;

/**
 * The node annotation names flannel uses, all sharing one prefix
 * ({@code --kube-annotation-prefix}, default {@value #DEFAULT_PREFIX}).
 *
 * <p>The prefix is normalised the way upstream does it, so annotations written by flanneld
 * and by jflannel are interchangeable: a prefix without {@code /} gets one appended
 * ({@code flannel.alpha.coreos.com} becomes {@code flannel.alpha.coreos.com/}); a prefix
 * with a {@code /} that does not end in {@code /} or {@code -} gets a {@code -} appended
 * ({@code example.com/net} becomes {@code example.com/net-}).
 *
 * @param prefix the normalised prefix, ending in {@code /} or {@code -}
 */
public record AnnotationKeys(String prefix) {

  /** The prefix flannel uses unless told otherwise. */
  public static final String DEFAULT_PREFIX = "flannel.alpha.coreos.com";

  // A DNS-style name, one slash, then an optional "word-" part: what Kubernetes accepts as an
  // annotation prefix and what upstream flannel checks.
  private static final Pattern NORMALISED =
      Pattern.compile("(?:[a-z0-9_-]+\\.)+[a-z0-9_-]+/(?:[a-z0-9_-]+-)?");

  public AnnotationKeys {
    if (prefix == null || !NORMALISED.matcher(prefix).matches()) {
      throw new IllegalArgumentException("invalid normalised annotation prefix \"" + prefix + "\"");
    }
  }

  /**
   * Normalises and validates a user-given prefix.
   *
   * @throws IllegalArgumentException naming the prefix and the expected form
   */
  public static AnnotationKeys of(String userPrefix) {
    String p = userPrefix == null ? "" : userPrefix.strip();
    long slashes = p.chars().filter(c -> c == '/').count();
    if (slashes > 1) {
      throw new IllegalArgumentException(
          "invalid annotation prefix \"" + userPrefix + "\": at most one \"/\" is allowed");
    }
    if (slashes == 0) {
      p += "/";
    }
    if (!p.endsWith("/") && !p.endsWith("-")) {
      p += "-";
    }
    if (!NORMALISED.matcher(p).matches()) {
      throw new IllegalArgumentException("invalid annotation prefix \"" + userPrefix
          + "\": expected a lower-case DNS name with an optional \"/name\", e.g. " + DEFAULT_PREFIX);
    }
    return new AnnotationKeys(p);
  }

  /** Keys for the default prefix. */
  public static AnnotationKeys defaults() {
    return of(DEFAULT_PREFIX);
  }

  /** {@code P/kube-subnet-manager}: {@code "true"} on every node run by a kube-mode flanneld. */
  public String kubeSubnetManager() {
    return prefix + "kube-subnet-manager";
  }

  /** {@code P/backend-type}: {@code vxlan}, {@code host-gw}, ... */
  public String backendType() {
    return prefix + "backend-type";
  }

  /** {@code P/backend-data}: the backend's IPv4 data as raw JSON. */
  public String backendData() {
    return prefix + "backend-data";
  }

  /** {@code P/backend-v6-data}: the backend's IPv6 data as raw JSON. */
  public String backendV6Data() {
    return prefix + "backend-v6-data";
  }

  /** {@code P/public-ip}: the IPv4 address peers send to. */
  public String publicIp() {
    return prefix + "public-ip";
  }

  /** {@code P/public-ipv6}: the IPv6 address peers send to. */
  public String publicIpv6() {
    return prefix + "public-ipv6";
  }

  /** {@code P/public-ip-overwrite}: set by an operator; replaces the advertised IPv4 address. */
  public String publicIpOverwrite() {
    return prefix + "public-ip-overwrite";
  }

  /** {@code P/public-ipv6-overwrite}: set by an operator; replaces the advertised IPv6 address. */
  public String publicIpv6Overwrite() {
    return prefix + "public-ipv6-overwrite";
  }

  /** {@code P/node-public-ip}: set by an operator; used like {@code --public-ip}. */
  public String nodePublicIp() {
    return prefix + "node-public-ip";
  }

  /** {@code P/node-public-ipv6}: set by an operator; used like {@code --public-ipv6}. */
  public String nodePublicIpv6() {
    return prefix + "node-public-ipv6";
  }
}
