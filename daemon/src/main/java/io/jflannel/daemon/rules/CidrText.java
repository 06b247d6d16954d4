package io.jflannel.daemon.rules;

import io.jflannel.subnet.IpNet;

/**
 * Writes a network the way iptables-save and nft print it: network address in canonical
 * (RFC 5952 for IPv6) form, a slash, the prefix length.
 */
final class CidrText {
  private CidrText() {}

  static String of(IpNet net) {
    return net.network().toString(); // IpNet prints addresses in canonical form
  }

}
