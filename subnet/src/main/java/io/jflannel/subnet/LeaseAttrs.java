package io.jflannel.subnet;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.Objects;

/**
 * What a node publishes about itself next to its subnet: the address peers send to, the
 * backend type and the backend's own data (for vxlan {@code {"VNI":1,"VtepMAC":"..."}}).
 *
 * <p>Stored as the etcd lease value ({@code {"PublicIP":..,"PublicIPv6":..,"BackendType":..,
 * "BackendData":..,"BackendV6Data":..}}) or as node annotations in kube mode.
 *
 * <p>Immutable. The backend data is kept as its compact JSON text (one String per lease
 * instead of a tree of nodes, docs/decisions/0843); {@link #backendData()} parses it on each
 * call and so returns a fresh tree the caller may change. Equality compares that text: the
 * same members in another order count as a change.
 */
public final class LeaseAttrs {
  private final InetAddress publicIp;
  private final InetAddress publicIpv6;
  private final String backendType;
  private final String backendDataJson;
  private final String backendV6DataJson;

  /**
   * @param publicIp      IPv4 address advertised to peers; null when IPv4 is disabled
   * @param publicIpv6    IPv6 address advertised to peers; null when absent
   * @param backendType   backend type name, lower case ({@code vxlan}, {@code host-gw})
   * @param backendData   the backend's IPv4 data as raw JSON; null or JSON null when none
   * @param backendV6Data the backend's IPv6 data as raw JSON; null when absent
   */
  public LeaseAttrs(InetAddress publicIp, InetAddress publicIpv6, String backendType,
      JsonNode backendData, JsonNode backendV6Data) {
    if (publicIp != null && !(publicIp instanceof Inet4Address)) {
      throw new IllegalArgumentException("PublicIP must be IPv4, got " + publicIp.getHostAddress());
    }
    if (publicIpv6 != null && !(publicIpv6 instanceof Inet6Address)) {
      throw new IllegalArgumentException("PublicIPv6 must be IPv6, got " + publicIpv6.getHostAddress());
    }
    this.publicIp = publicIp;
    this.publicIpv6 = publicIpv6;
    this.backendType = CommonValues.shared(backendType);
    this.backendDataJson = backendData == null ? null : JsonTrees.text(backendData);
    this.backendV6DataJson = backendV6Data == null ? null : JsonTrees.text(backendV6Data);
  }

  /** IPv4 address advertised to peers; null when IPv4 is disabled. */
  public InetAddress publicIp() {
    return publicIp;
  }

  /** IPv6 address advertised to peers; null when absent. */
  public InetAddress publicIpv6() {
    return publicIpv6;
  }

  /** Backend type name, lower case ({@code vxlan}, {@code host-gw}). */
  public String backendType() {
    return backendType;
  }

  /** The backend's IPv4 data, a new tree per call; null when absent, a JSON null when none. */
  public JsonNode backendData() {
    return tree(backendDataJson);
  }

  /** The backend's IPv6 data, a new tree per call; null when absent. */
  public JsonNode backendV6Data() {
    return tree(backendV6DataJson);
  }

  /** The backend's IPv4 data as compact JSON text; null when absent. */
  public String backendDataJson() {
    return backendDataJson;
  }

  /** The backend's IPv6 data as compact JSON text; null when absent. */
  public String backendV6DataJson() {
    return backendV6DataJson;
  }

  private static JsonNode tree(String json) {
    if (json == null) {
      return null;
    }
    try {
      return JsonTrees.read(json);
    } catch (JsonProcessingException e) {
      // The text was written by JsonTrees.text from a tree: it always parses.
      throw new IllegalStateException("stored backend data no longer parses: " + json, e);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LeaseAttrs a
        && Objects.equals(publicIp, a.publicIp)
        && Objects.equals(publicIpv6, a.publicIpv6)
        && Objects.equals(backendType, a.backendType)
        && Objects.equals(backendDataJson, a.backendDataJson)
        && Objects.equals(backendV6DataJson, a.backendV6DataJson);
  }

  @Override
  public int hashCode() {
    return Objects.hash(publicIp, publicIpv6, backendType, backendDataJson, backendV6DataJson);
  }

  @Override
  public String toString() {
    return "LeaseAttrs[publicIp=" + publicIp + ", publicIpv6=" + publicIpv6 + ", backendType="
        + backendType + ", backendData=" + backendDataJson + ", backendV6Data=" + backendV6DataJson + "]";
  }
}
