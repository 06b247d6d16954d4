package io.jflannel.daemon.check;

import io.jflannel.daemon.rules.CommandException;
import io.jflannel.daemon.rules.CommandRunner;
import io.jflannel.subnet.IpLiteral;
import io.jflannel.subnet.Lease;
import java.net.InetAddress;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code --probe}: one ICMP echo per peer, sent by {@code ping -c1 -W1} through the command
 * runner (the JVM opens no raw ICMP socket; decision 1021). The target is the peer's overlay
 * address: the {@code .0} address on its VTEP (vxlan) or the first address of its pod subnet,
 * its {@code cni0} (host-gw).
 */
final class Probe {
  private static final Pattern RTT = Pattern.compile("time[=<]([0-9.]+) ms");
  private final CommandRunner runner;

  Probe(CommandRunner runner) {
    this.runner = runner;
  }

  /** The address a probe of {@code peer} goes to. */
  static InetAddress target(Lease peer, String backendType) {
    return "vxlan".equalsIgnoreCase(backendType) ? peer.subnet().network().address()
        : peer.subnet().firstHost().address();
  }

  Finding probe(Lease peer, String backendType) {
    String ip = IpLiteral.format(target(peer, backendType));
    String subject = "probe " + ip + " (peer " + peer.subnet() + ", " + IpLiteral.format(peer.attrs().publicIp()) + ")";
    String see = "ping -c1 -W1 " + ip;
    String out;
    try {
      out = runner.run(List.of("ping", "-n", "-c1", "-W1", ip), "");
    } catch (CommandException e) {
      return Finding.fail(subject, "100% loss (1 sent, 0 received)", see,
          "the overlay to this peer does not carry traffic; check its lines above and the peer's own check");
    }
    Matcher m = RTT.matcher(out);
    return Finding.ok(subject, "0% loss" + (m.find() ? ", rtt " + m.group(1) + " ms" : ""));
  }
}
