package io.jflannel.daemon.flags;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The picocli model of the {@code flanneld} command line. Holds raw, converted values only;
 * range and syntax checks that picocli cannot express live in {@link FlagParser}.
 * Defaults are exactly those of upstream flanneld (docs/compatibility.md#command-line).
 */
@Command(
    name = "flanneld",
    mixinStandardHelpOptions = false,
    sortOptions = false,
    abbreviateSynopsis = true,
    usageHelpAutoWidth = true,
    description = {
      "Node agent of the flannel overlay network (jflannel).",
      "Every flag may also be written -name=value, and set in the environment as",
      "FLANNELD_<NAME> (upper case, '-' becomes '_'); the command line wins."
    })
final class FlanneldCommand {

  @Option(names = "--kube-subnet-mgr", arity = "0..1", fallbackValue = "true", paramLabel = "BOOL",
      defaultValue = "false", converter = GoBool.class,
      description = "Contact the Kubernetes API for subnet assignment instead of etcd.")
  boolean kubeSubnetMgr;

  @Option(names = "--kube-api-url", defaultValue = "",
      description = "Kubernetes API server URL; empty with no kubeconfig means in-cluster.")
  String kubeApiUrl;

  @Option(names = "--kubeconfig-file", defaultValue = "",
      description = "kubeconfig file; empty with no API URL means in-cluster.")
  String kubeconfigFile;

  @Option(names = "--kube-annotation-prefix", defaultValue = "flannel.alpha.coreos.com",
      description = "Prefix of the node annotations (default: ${DEFAULT-VALUE}).")
  String kubeAnnotationPrefix;

  @Option(names = "--net-config-path", defaultValue = "/etc/kube-flannel/net-conf.json",
      description = "Network configuration file in kube mode (default: ${DEFAULT-VALUE}).")
  String netConfigPath;

  @Option(names = "--etcd-endpoints",
      defaultValue = "http://127.0.0.1:4001,http://127.0.0.1:2379",
      description = "Comma-separated etcd endpoints (default: ${DEFAULT-VALUE}).")
  String etcdEndpoints;

  @Option(names = "--etcd-prefix", defaultValue = "/coreos.com/network",
      description = "etcd key prefix (default: ${DEFAULT-VALUE}).")
  String etcdPrefix;

  @Option(names = "--etcd-keyfile", defaultValue = "", description = "TLS key file for etcd.")
  String etcdKeyfile;

  @Option(names = "--etcd-certfile", defaultValue = "",
      description = "TLS certificate file for etcd.")
  String etcdCertfile;

  @Option(names = "--etcd-cafile", defaultValue = "", description = "TLS CA file for etcd.")
  String etcdCafile;

  @Option(names = "--etcd-username", defaultValue = "", description = "etcd user name.")
  String etcdUsername;

  @Option(names = "--etcd-password", defaultValue = "", description = "etcd password.")
  String etcdPassword;

  @Option(names = "--iface", description = "Interface name or IP to use (repeatable; first match wins).")
  List<String> iface = new ArrayList<>();

  @Option(names = "--iface-regex",
      description = "Regex on interface IPs, then names (repeatable; first match wins).")
  List<String> ifaceRegex = new ArrayList<>();

  @Option(names = "--iface-can-reach", defaultValue = "",
      description = "Use the interface and source IP that route to this IP.")
  String ifaceCanReach;

  @Option(names = "--public-ip", defaultValue = "",
      description = "IPv4 address advertised to other nodes.")
  String publicIp;

  @Option(names = "--public-ipv6", defaultValue = "",
      description = "IPv6 address advertised to other nodes.")
  String publicIpv6;

  @Option(names = "--subnet-file", defaultValue = "/run/flannel/subnet.env",
      description = "File written for the CNI plugin (default: ${DEFAULT-VALUE}).")
  String subnetFile;

  @Option(names = "--subnet-lease-renew-margin", defaultValue = "60",
      description = "Minutes before lease expiry to renew it, 1..1439 (default: ${DEFAULT-VALUE}).")
  int subnetLeaseRenewMargin;

  @Option(names = "--ip-masq", arity = "0..1", fallbackValue = "true", paramLabel = "BOOL", defaultValue = "false",
      converter = GoBool.class,
      description = "Install masquerade rules for traffic leaving the overlay.")
  boolean ipMasq;

  @Option(names = "--ip-masq-fully-random-disable", arity = "0..1", fallbackValue = "true", paramLabel = "BOOL",
      defaultValue = "false", converter = GoBool.class,
      description = "Do not use --random-fully in masquerade rules.")
  boolean ipMasqFullyRandomDisable;

  @Option(names = "--iptables-resync", defaultValue = "5",
      description = "Seconds between rule checks (default: ${DEFAULT-VALUE}).")
  int iptablesResync;

  @Option(names = "--iptables-forward-rules", arity = "0..1", fallbackValue = "true", paramLabel = "BOOL",
      defaultValue = "true", converter = GoBool.class,
      description = "Install FORWARD accept rules for the overlay (default: ${DEFAULT-VALUE}).")
  boolean iptablesForwardRules;

  @Option(names = "--iptables-mode", defaultValue = "auto", paramLabel = "MODE",
      description = "iptables flavour for the rules: auto (what the host uses), nft or legacy "
          + "(default: ${DEFAULT-VALUE}).")
  String iptablesMode;

  @Option(names = "--ip-blackhole-route", arity = "0..1", fallbackValue = "true", paramLabel = "BOOL",
      defaultValue = "false", converter = GoBool.class,
      description = "Keep a blackhole route for the own subnet.")
  boolean ipBlackholeRoute;

  @Option(names = "--healthz-ip", defaultValue = "0.0.0.0",
      description = "Address of the health server (default: ${DEFAULT-VALUE}).")
  String healthzIp;

  @Option(names = "--healthz-port", defaultValue = "0",
      description = "Port of the health server; 0 disables it (default: ${DEFAULT-VALUE}).")
  int healthzPort;

  @Option(names = "--set-node-network-unavailable", arity = "0..1", fallbackValue = "true", paramLabel = "BOOL",
      defaultValue = "true", converter = GoBool.class,
      description = "Set the node condition NetworkUnavailable=False once up (default: ${DEFAULT-VALUE}).")
  boolean setNodeNetworkUnavailable;

  @Option(names = {"-v", "--v"}, defaultValue = "0", paramLabel = "LEVEL",
      description = "Log verbosity (default: ${DEFAULT-VALUE}).")
  int verbosity;

  @Option(names = "--log-format", defaultValue = "text", paramLabel = "FORMAT",
      description = "Log line format: text (klog's, as upstream) or json (one object per line) "
          + "(default: ${DEFAULT-VALUE}).")
  String logFormat;

  // Upstream copies these two klog flags next to -v; they are accepted and ignored here.
  @Option(names = "--vmodule", paramLabel = "PATTERN=N,...", defaultValue = "",
      description = "Accepted for compatibility with upstream's klog flag; ignored.")
  String vmodule;

  @Option(names = "--log_backtrace_at", paramLabel = "FILE:LINE", defaultValue = "",
      description = "Accepted for compatibility with upstream's klog flag; ignored.")
  String logBacktraceAt;

  @Option(names = "--version", versionHelp = true, description = "Print the version and exit.")
  boolean versionRequested;

  @Option(names = {"-h", "--help"}, usageHelp = true, description = "Print this help and exit.")
  boolean helpRequested;
}
