package io.jflannel.subnet;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The cluster network configuration (net-conf.json, or the etcd key {@code <prefix>/config}),
 * with defaults applied and validated.
 *
 * @param enableIpv4     {@code EnableIPv4} (default true)
 * @param enableIpv6     {@code EnableIPv6} (default false)
 * @param enableNftables {@code EnableNFTables} (default false)
 * @param network        {@code Network}; null when IPv4 is disabled
 * @param subnetLen      {@code SubnetLen}
 * @param subnetMin      {@code SubnetMin}
 * @param subnetMax      {@code SubnetMax}
 * @param ipv6Network    {@code IPv6Network}; null when IPv6 is disabled
 * @param ipv6SubnetLen  {@code IPv6SubnetLen}
 * @param ipv6SubnetMin  {@code IPv6SubnetMin}
 * @param ipv6SubnetMax  {@code IPv6SubnetMax}
 * @param backend        {@code Backend}: its type and the whole object for backend options
 */
public record NetworkConfig(
    boolean enableIpv4,
    boolean enableIpv6,
    boolean enableNftables,
    IpNet network,
    int subnetLen,
    IpNet subnetMin,
    IpNet subnetMax,
    IpNet ipv6Network,
    int ipv6SubnetLen,
    IpNet ipv6SubnetMin,
    IpNet ipv6SubnetMax,
    BackendConfig backend) {

  /**
   * The {@code Backend} object.
   *
   * @param type    lower-cased {@code Type} ({@code vxlan}, {@code host-gw})
   * @param options the whole JSON object, keys as written (backends match them case-insensitively)
   */
  public record BackendConfig(String type, JsonNode options) {}
}
