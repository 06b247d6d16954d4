package io.jflannel.daemon.rules;

import inet.ipaddr.IPAddress;
import inet.ipaddr.IPAddressNetwork.IPAddressGenerator;
import io.jflannel.subnet.IpNet;

/**
 * Writes a network the way iptables-save and nft print it: network address in canonical
 * (RFC 5952 for IPv6) form, a slash, the prefix length.
 */
final class CidrText {
  private CidrText() {}

  static String of(IpNet net) {
    IpNet n = net.network();
    if (n.isIpv4()) {
      return n.toString(); // the JDK's dotted quad is already canonical
    }
    IPAddress address = new IPAddressGenerator().from(n.address());
    return address.toCanonicalString() + "/" + n.prefixLength();
  }
}
