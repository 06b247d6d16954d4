package io.jflannel.daemon.run;

import io.jflannel.subnet.NetworkConfig;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Upstream's start-up check that the br_netfilter module is loaded: without it, traffic between
 * pods on one bridge bypasses iptables (Service NAT, masquerade). Skipped with EnableNFTables,
 * as upstream skips it.
 */
final class BridgeNetfilterCheck {
  private final Path procSysNetBridge;

  BridgeNetfilterCheck(Path procSysNetBridge) {
    this.procSysNetBridge = procSysNetBridge;
  }

  static BridgeNetfilterCheck system() {
    return new BridgeNetfilterCheck(Path.of("/proc/sys/net/bridge"));
  }

  void check(NetworkConfig config) throws FatalException {
    if (config.enableNftables()) {
      return;
    }
    if (config.enableIpv4()) {
      require("bridge-nf-call-iptables");
    }
    if (config.enableIpv6()) {
      require("bridge-nf-call-ip6tables");
    }
  }

  private void require(String name) throws FatalException {
    Path p = procSysNetBridge.resolve(name);
    if (!Files.exists(p)) {
      throw new FatalException("failed to check br_netfilter: " + p + " does not exist; load the module"
          + " (modprobe br_netfilter)");
    }
  }
}
