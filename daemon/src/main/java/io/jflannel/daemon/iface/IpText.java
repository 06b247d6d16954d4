package io.jflannel.daemon.iface;

import io.jflannel.subnet.IpNet;
import java.net.InetAddress;
import java.util.Optional;
import java.util.regex.Pattern;

/** Tells IP literals from interface names in {@code --iface} values. */
final class IpText {
  private static final Pattern DOTTED_QUAD = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

  private IpText() {}

  /** The address when {@code text} is an IPv4 dotted quad or an IPv6 literal; else empty (a name). */
  static Optional<InetAddress> parseLiteral(String text) {
    if (!DOTTED_QUAD.matcher(text).matches() && text.indexOf(':') < 0) {
      return Optional.empty();
    }
    try {
      return Optional.of(IpNet.parseAddress(text));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  static String format(InetAddress ip) {
    return IpNet.format(ip);
  }
}
