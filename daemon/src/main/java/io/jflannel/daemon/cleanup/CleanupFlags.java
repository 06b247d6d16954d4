package io.jflannel.daemon.cleanup;

import io.jflannel.daemon.flags.GoBool;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The flags {@code flanneld cleanup} adds to the daemon's (picocli mixin, parsed by
 * {@link io.jflannel.daemon.flags.FlagParser#parse(java.util.List, java.util.Map, Object)}).
 * Command line only: none has a {@code FLANNELD_*} form, so a DaemonSet's environment cannot
 * turn on a removal by accident.
 */
@Command(name = "flanneld cleanup", description = {
    "Removes what flanneld (and, with --cni, the flannel CNI set-up) created on this node and",
    "nothing else: the vxlan devices flannel.<VNI> and flannel-v6.<VNI> with their routes,",
    "neighbours and FDB entries, flannel's routes inside the network through the external",
    "interface (host-gw, DirectRouting), the blackhole route, the FLANNEL-* iptables chains of",
    "both flavours and the flannel-ipv4/-ipv6 nft tables, subnet.env and the node lock. Takes",
    "the daemon's flags and environment; must run as root while flanneld is stopped.",
    "Prints one line per action; safe to run again (then: nothing to clean up)."
})
final class CleanupFlags {

  @Option(names = "--dry-run", arity = "0..1", fallbackValue = "true", paramLabel = "BOOL", defaultValue = "false",
      converter = GoBool.class, description = "Print what would be removed; change nothing.")
  boolean dryRun;

  @Option(names = "--cni", arity = "0..1", fallbackValue = "true", paramLabel = "BOOL", defaultValue = "false",
      converter = GoBool.class,
      description = "Also remove the cni0 bridge, the CNI config file and the CNI plugins' state of the network.")
  boolean cni;

  @Option(names = "--release-lease", arity = "0..1", fallbackValue = "true", paramLabel = "BOOL",
      defaultValue = "false", converter = GoBool.class,
      description = "Also delete this node's lease from etcd (not applicable with --kube-subnet-mgr).")
  boolean releaseLease;

  @Option(names = "--cni-conf-file", paramLabel = "FILE", defaultValue = "/etc/cni/net.d/10-flannel.conflist",
      description = "The CNI config file --cni removes (default: ${DEFAULT-VALUE}).")
  String cniConfFile;

  @Option(names = "--cni-state-dir", paramLabel = "DIR", defaultValue = "/var/lib/cni",
      description = "Where the CNI plugins keep state; --cni removes its networks/<network name> "
          + "(host-local's addresses) and flannel/ (default: ${DEFAULT-VALUE}).")
  String cniStateDir;
}
