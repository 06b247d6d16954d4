package io.jflannel.daemon.flags;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Everything {@code flanneld} was told on its command line and in its environment, validated
 * and immutable. Grouped by the part of the daemon that consumes it.
 *
 * @param kube Kubernetes subnet-manager settings
 * @param etcd etcd subnet-manager settings
 * @param iface external interface selection and advertised addresses
 * @param rules masquerade and forward rule settings
 * @param health health/metrics HTTP server settings
 * @param subnetFile where subnet.env is written ({@code --subnet-file})
 * @param subnetLeaseRenewMargin how long before lease expiry it is renewed
 *     ({@code --subnet-lease-renew-margin}, minutes, 1..1439)
 * @param ipBlackholeRoute keep a blackhole route for the own subnet ({@code --ip-blackhole-route})
 * @param verbosity log verbosity ({@code -v})
 * @param environment the non-flag environment ({@code NODE_NAME}, ...)
 * @param ignoredLogFlags upstream's klog flags that were given and have no effect here
 * @param logFormat how log lines are written ({@code --log-format})
 */
public record FlanneldOptions(
    Kube kube,
    Etcd etcd,
    Iface iface,
    Rules rules,
    Health health,
    Path subnetFile,
    Duration subnetLeaseRenewMargin,
    boolean ipBlackholeRoute,
    int verbosity,
    Environment environment,
    Map<String, String> ignoredLogFlags,
    LogFormat logFormat) {

  /** Options without ignored klog flags, logging klog's text lines. */
  public FlanneldOptions(Kube kube, Etcd etcd, Iface iface, Rules rules, Health health, Path subnetFile,
      Duration subnetLeaseRenewMargin, boolean ipBlackholeRoute, int verbosity, Environment environment) {
    this(kube, etcd, iface, rules, health, subnetFile, subnetLeaseRenewMargin, ipBlackholeRoute, verbosity,
        environment, Map.of());
  }

  /** Options logging klog's text lines. */
  public FlanneldOptions(Kube kube, Etcd etcd, Iface iface, Rules rules, Health health, Path subnetFile,
      Duration subnetLeaseRenewMargin, boolean ipBlackholeRoute, int verbosity, Environment environment,
      Map<String, String> ignoredLogFlags) {
    this(kube, etcd, iface, rules, health, subnetFile, subnetLeaseRenewMargin, ipBlackholeRoute, verbosity,
        environment, ignoredLogFlags, LogFormat.TEXT);
  }

  public FlanneldOptions {
    ignoredLogFlags = ignoredLogFlags == null ? Map.of() : Map.copyOf(ignoredLogFlags);
    Objects.requireNonNull(logFormat, "logFormat");
    Objects.requireNonNull(kube, "kube");
    Objects.requireNonNull(etcd, "etcd");
    Objects.requireNonNull(iface, "iface");
    Objects.requireNonNull(rules, "rules");
    Objects.requireNonNull(health, "health");
    Objects.requireNonNull(subnetFile, "subnetFile");
    Objects.requireNonNull(subnetLeaseRenewMargin, "subnetLeaseRenewMargin");
    Objects.requireNonNull(environment, "environment");
  }

  /**
   * Kubernetes subnet manager.
   *
   * @param enabled {@code --kube-subnet-mgr}: use node objects instead of etcd
   * @param apiUrl {@code --kube-api-url}, empty for in-cluster or kubeconfig
   * @param kubeconfigFile {@code --kubeconfig-file}, empty for in-cluster
   * @param annotationPrefix {@code --kube-annotation-prefix}
   * @param netConfigPath {@code --net-config-path}
   * @param setNodeNetworkUnavailable {@code --set-node-network-unavailable}
   */
  public record Kube(
      boolean enabled,
      String apiUrl,
      String kubeconfigFile,
      String annotationPrefix,
      Path netConfigPath,
      boolean setNodeNetworkUnavailable) {
    public Kube {
      Objects.requireNonNull(apiUrl, "apiUrl");
      Objects.requireNonNull(kubeconfigFile, "kubeconfigFile");
      Objects.requireNonNull(annotationPrefix, "annotationPrefix");
      Objects.requireNonNull(netConfigPath, "netConfigPath");
    }
  }

  /**
   * etcd subnet manager.
   *
   * @param endpoints {@code --etcd-endpoints}, split at commas, never empty
   * @param prefix {@code --etcd-prefix}
   * @param keyFile {@code --etcd-keyfile}, empty when unset
   * @param certFile {@code --etcd-certfile}, empty when unset
   * @param caFile {@code --etcd-cafile}, empty when unset
   * @param username {@code --etcd-username}, empty when unset
   * @param password {@code --etcd-password}, empty when unset
   */
  public record Etcd(
      List<String> endpoints,
      String prefix,
      String keyFile,
      String certFile,
      String caFile,
      String username,
      String password) {
    public Etcd {
      endpoints = List.copyOf(endpoints);
      Objects.requireNonNull(prefix, "prefix");
      Objects.requireNonNull(keyFile, "keyFile");
      Objects.requireNonNull(certFile, "certFile");
      Objects.requireNonNull(caFile, "caFile");
      Objects.requireNonNull(username, "username");
      Objects.requireNonNull(password, "password");
    }

    /** TLS is used when both a key and a certificate are given (upstream's rule). */
    public boolean tls() {
      return !keyFile.isEmpty() && !certFile.isEmpty();
    }

    /** The password is never printed. */
    @Override
    public String toString() {
      return "Etcd[endpoints=" + endpoints + ", prefix=" + prefix + ", keyFile=" + keyFile
          + ", certFile=" + certFile + ", caFile=" + caFile + ", username=" + username
          + ", password=" + (password.isEmpty() ? "" : "***") + "]";
    }
  }

  /**
   * External interface selection.
   *
   * @param names {@code --iface} values in command-line order (names or IP literals)
   * @param regexes {@code --iface-regex} values in order, each known to compile
   * @param canReach {@code --iface-can-reach}
   * @param publicIp {@code --public-ip} (IPv4)
   * @param publicIpv6 {@code --public-ipv6} (IPv6)
   */
  public record Iface(
      List<String> names,
      List<String> regexes,
      Optional<InetAddress> canReach,
      Optional<InetAddress> publicIp,
      Optional<InetAddress> publicIpv6) {
    public Iface {
      names = List.copyOf(names);
      regexes = List.copyOf(regexes);
      Objects.requireNonNull(canReach, "canReach");
      Objects.requireNonNull(publicIp, "publicIp");
      Objects.requireNonNull(publicIpv6, "publicIpv6");
    }

    /** The {@link #regexes} compiled, in order. */
    public List<Pattern> patterns() {
      return regexes.stream().map(Pattern::compile).toList();
    }

    /** True when no {@code --iface*} flag was given (default-route selection applies). */
    public boolean unspecified() {
      return names.isEmpty() && regexes.isEmpty() && canReach.isEmpty();
    }
  }

  /**
   * Masquerade and forward rules.
   *
   * @param ipMasq {@code --ip-masq}
   * @param randomFullyDisabled {@code --ip-masq-fully-random-disable}
   * @param resyncPeriod {@code --iptables-resync} (seconds, at least 1)
   * @param forwardRules {@code --iptables-forward-rules}
   * @param iptablesMode {@code --iptables-mode}: which iptables flavour carries the rules
   */
  public record Rules(
      boolean ipMasq, boolean randomFullyDisabled, Duration resyncPeriod, boolean forwardRules,
      IptablesMode iptablesMode) {
    public Rules {
      Objects.requireNonNull(resyncPeriod, "resyncPeriod");
      Objects.requireNonNull(iptablesMode, "iptablesMode");
    }

    /** Rules with the iptables flavour detected from the host ({@code --iptables-mode=auto}). */
    public Rules(boolean ipMasq, boolean randomFullyDisabled, Duration resyncPeriod, boolean forwardRules) {
      this(ipMasq, randomFullyDisabled, resyncPeriod, forwardRules, IptablesMode.AUTO);
    }

    /** True when any rule group is on (masquerade or forward rules). */
    public boolean anyRules() {
      return ipMasq || forwardRules;
    }
  }

  /**
   * Health server.
   *
   * @param ip {@code --healthz-ip}
   * @param port {@code --healthz-port}; 0 disables the server
   */
  public record Health(InetAddress ip, int port) {
    public Health {
      Objects.requireNonNull(ip, "ip");
    }

    /** Port 0 means "no health server", as upstream. */
    public boolean enabled() {
      return port != 0;
    }
  }

  /**
   * The environment variables flanneld reads besides {@code FLANNELD_*}.
   *
   * @param nodeName {@code NODE_NAME}
   * @param podName {@code POD_NAME}
   * @param podNamespace {@code POD_NAMESPACE}
   * @param eventQueueDepth {@code EVENT_QUEUE_DEPTH} (default 5000)
   * @param continueWhenCacheNotReady {@code CONT_WHEN_CACHE_NOT_READY}
   */
  public record Environment(
      Optional<String> nodeName,
      Optional<String> podName,
      Optional<String> podNamespace,
      int eventQueueDepth,
      boolean continueWhenCacheNotReady) {
    public Environment {
      Objects.requireNonNull(nodeName, "nodeName");
      Objects.requireNonNull(podName, "podName");
      Objects.requireNonNull(podNamespace, "podNamespace");
    }
  }
}
