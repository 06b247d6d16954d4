package io.jflannel.subnet;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;

/**
 * What a node publishes about itself next to its subnet: the address peers send to, the
 * backend type and the backend's own data (for vxlan {@code {"VNI":1,"VtepMAC":"..."}}).
 *
 * <p>Stored as the etcd lease value ({@code {"PublicIP":..,"PublicIPv6":..,"BackendType":..,
 * "BackendData":..,"BackendV6Data":..}}) or as node annotations in kube mode.
 *
 * @param publicIp      IPv4 address advertised to peers; null when IPv4 is disabled
 * @param publicIpv6    IPv6 address advertised to peers; null when absent
 * @param backendType   backend type name, lower case ({@code vxlan}, {@code host-gw})
 * @param backendData   the backend's IPv4 data as raw JSON; null or JSON null when none
 * @param backendV6Data the backend's IPv6 data as raw JSON; null when absent
 */
public record LeaseAttrs(
    InetAddress publicIp,
    InetAddress publicIpv6,
    String backendType,
    JsonNode backendData,
    JsonNode backendV6Data) {

  public LeaseAttrs {
    backendType = CommonValues.shared(backendType);
    if (publicIp != null && !(publicIp instanceof Inet4Address)) {
      throw new IllegalArgumentException("PublicIP must be IPv4, got " + publicIp.getHostAddress());
    }
    if (publicIpv6 != null && !(publicIpv6 instanceof Inet6Address)) {
      throw new IllegalArgumentException("PublicIPv6 must be IPv6, got " + publicIpv6.getHostAddress());
    }
  }
}
