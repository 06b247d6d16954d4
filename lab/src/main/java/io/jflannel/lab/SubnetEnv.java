package io.jflannel.lab;

import inet.ipaddr.AddressStringException;
import inet.ipaddr.IPAddress;
import inet.ipaddr.IPAddressString;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The contents of a subnet.env file as the flannel CNI plugin reads it. The lab parses the
 * file independently of the daemon's writer, the way the real plugin does, so a format
 * mistake in the daemon shows up here instead of being shared by both sides.
 *
 * <p>Reading rules (the plugin's): lines are {@code KEY=VALUE}; unknown keys and lines without
 * {@code =} are ignored; {@code FLANNEL_IPMASQ} is true only for the literal {@code true};
 * at least one of the IPv4/IPv6 networks and one of the subnets, the MTU and IPMASQ must be
 * present.
 *
 * @param network FLANNEL_NETWORK (network form), if present
 * @param subnet FLANNEL_SUBNET as written (host address with the subnet's prefix), if present
 * @param ipv6Network FLANNEL_IPV6_NETWORK, if present
 * @param ipv6Subnet FLANNEL_IPV6_SUBNET as written, if present
 * @param mtu FLANNEL_MTU
 * @param ipMasq FLANNEL_IPMASQ
 */
public record SubnetEnv(Optional<IPAddress> network, Optional<IPAddress> subnet,
    Optional<IPAddress> ipv6Network, Optional<IPAddress> ipv6Subnet, int mtu, boolean ipMasq) {

  /** Reads and parses a subnet.env file. */
  public static SubnetEnv read(Path file) {
    try {
      return parse(Files.readString(file), file.toString());
    } catch (IOException e) {
      throw new LabException("cannot read subnet file " + file + ": " + e.getMessage(), e);
    }
  }

  /** Parses subnet.env text; {@code source} names it in errors. */
  public static SubnetEnv parse(String text, String source) {
    IPAddress network = null;
    IPAddress subnet = null;
    IPAddress network6 = null;
    IPAddress subnet6 = null;
    Integer mtu = null;
    Boolean ipMasq = null;
    for (String line : text.split("\n", -1)) {
      int eq = line.indexOf('=');
      if (eq < 0) {
        continue;
      }
      String key = line.substring(0, eq);
      String value = line.substring(eq + 1).strip();
      switch (key) {
        case "FLANNEL_NETWORK" -> network = cidr(value, key, source);
        case "FLANNEL_SUBNET" -> subnet = cidr(value, key, source);
        case "FLANNEL_IPV6_NETWORK" -> network6 = cidr(value, key, source);
        case "FLANNEL_IPV6_SUBNET" -> subnet6 = cidr(value, key, source);
        case "FLANNEL_MTU" -> mtu = mtu(value, source);
        case "FLANNEL_IPMASQ" -> ipMasq = "true".equals(value);
        default -> { }
      }
    }
    StringBuilder missing = new StringBuilder();
    if (network == null && network6 == null) {
      missing.append(" FLANNEL_NETWORK or FLANNEL_IPV6_NETWORK");
    }
    if (subnet == null && subnet6 == null) {
      missing.append(" FLANNEL_SUBNET or FLANNEL_IPV6_SUBNET");
    }
    if (mtu == null) {
      missing.append(" FLANNEL_MTU");
    }
    if (ipMasq == null) {
      missing.append(" FLANNEL_IPMASQ");
    }
    if (missing.length() > 0) {
      throw new LabException("subnet file " + source + " is missing" + missing);
    }
    return new SubnetEnv(Optional.ofNullable(network).map(IPAddress::toPrefixBlock),
        Optional.ofNullable(subnet), Optional.ofNullable(network6).map(IPAddress::toPrefixBlock),
        Optional.ofNullable(subnet6), mtu, ipMasq);
  }

  /** The IPv4 subnet in network form, e.g. {@code 10.244.1.0/24}. */
  public Optional<IPAddress> subnetBlock() {
    return subnet.map(IPAddress::toPrefixBlock);
  }

  /** The IPv6 subnet in network form. */
  public Optional<IPAddress> ipv6SubnetBlock() {
    return ipv6Subnet.map(IPAddress::toPrefixBlock);
  }

  private static IPAddress cidr(String value, String key, String source) {
    try {
      IPAddress a = new IPAddressString(value).toAddress();
      if (a.getNetworkPrefixLength() == null) {
        throw new LabException(source + ": " + key + "=" + value + " has no prefix length");
      }
      return a;
    } catch (AddressStringException e) {
      throw new LabException(source + ": " + key + "=" + value + " is not a CIDR: "
          + e.getMessage(), e);
    }
  }

  private static int mtu(String value, String source) {
    try {
      int mtu = Integer.parseInt(value);
      if (mtu < 0) {
        throw new NumberFormatException("negative");
      }
      return mtu;
    } catch (NumberFormatException e) {
      throw new LabException(source + ": FLANNEL_MTU=" + value + " is not an unsigned number", e);
    }
  }
}
