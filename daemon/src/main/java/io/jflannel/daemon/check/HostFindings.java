package io.jflannel.daemon.check;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jflannel.netlink.Addr;
import io.jflannel.netlink.Link;
import io.jflannel.subnet.IpNet;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The host half of the check: kernel settings under {@code /proc/sys} (read in the check's own
 * network namespace), the FORWARD chain, {@code cni0} and the CNI config. Reads only.
 */
final class HostFindings {
  private final Path procSys;

  /** @param procSys {@code /proc/sys}, or a copy of it in tests */
  HostFindings(Path procSys) {
    this.procSys = procSys;
  }

  /** A sysctl by its path under {@code /proc/sys}; device names may hold dots, so no dotted form. */
  private Optional<String> sysctl(String... path) {
    Path p = procSys;
    for (String part : path) {
      p = p.resolve(part);
    }
    try {
      return Optional.of(Files.readString(p, StandardCharsets.US_ASCII).trim());
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  Finding ipForward() {
    Optional<String> v = sysctl("net", "ipv4", "ip_forward");
    if (v.equals(Optional.of("1"))) {
      return Finding.ok("net.ipv4.ip_forward", "1");
    }
    return Finding.fail("net.ipv4.ip_forward", v.orElse("unreadable"), "sysctl net.ipv4.ip_forward",
        "the node does not route pod traffic; set it: sysctl -w net.ipv4.ip_forward=1");
  }

  /** bridge-nf-call-iptables (and br_netfilter loaded), which the iptables rules depend on. */
  Finding bridgeNetfilter(boolean nftables) {
    String name = "net.bridge.bridge-nf-call-iptables";
    if (nftables) {
      return Finding.ok(name, "not needed with EnableNFTables");
    }
    Optional<String> v = sysctl("net", "bridge", "bridge-nf-call-iptables");
    if (v.isEmpty()) {
      return Finding.fail(name, "absent: br_netfilter is not loaded", "lsmod | grep br_netfilter",
          "bridged pod traffic bypasses iptables (Services, masquerade); modprobe br_netfilter");
    }
    if (!v.get().equals("1")) {
      return Finding.fail(name, v.get(), "sysctl " + name,
          "bridged pod traffic bypasses iptables (Services, masquerade); sysctl -w " + name + "=1");
    }
    return Finding.ok(name, "1");
  }

  /** rp_filter of the devices pod traffic passes: strict mode can drop asymmetric routes. */
  List<Finding> rpFilter(List<String> devices) {
    List<Finding> out = new ArrayList<>();
    int all = sysctl("net", "ipv4", "conf", "all", "rp_filter").map(HostFindings::integer).orElse(0);
    for (String dev : devices) {
      Optional<Integer> own = sysctl("net", "ipv4", "conf", dev, "rp_filter").map(HostFindings::integer);
      if (own.isEmpty()) {
        continue; // no such device
      }
      int effective = Math.max(all, own.get()); // the kernel uses the larger of the two
      String name = "rp_filter " + dev;
      if (effective == 1) {
        out.add(Finding.warn(name, "1 (strict; all=" + all + ", " + dev + "=" + own.get() + ")",
            "sysctl net.ipv4.conf.all.rp_filter net.ipv4.conf." + dev + ".rp_filter",
            "strict reverse-path filtering drops pod packets that arrive on another device than the reply route;"
                + " loose mode (2) is safe"));
      } else {
        out.add(Finding.ok(name, effective + (effective == 0 ? " (off)" : " (loose)")));
      }
    }
    return out;
  }

  private static Integer integer(String s) {
    try {
      return Integer.parseInt(s.trim());
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /**
   * The FORWARD policy from {@code iptables-save} output: DROP is a FAIL when flanneld is told
   * not to install its forward rules, else worth a note; a DROP or REJECT rule ahead of our
   * jump is a WARN (flanneld appends its jump and does not move it).
   */
  static List<Finding> forwardPolicy(String save, boolean forwardRules, String iptables) {
    List<Finding> out = new ArrayList<>();
    boolean filter = false;
    String policy = null;
    List<String> rules = new ArrayList<>();
    for (String line : save.split("\n")) {
      if (line.startsWith("*")) {
        filter = line.equals("*filter");
      } else if (filter && line.startsWith(":FORWARD ")) {
        policy = line.split(" ")[1];
      } else if (filter && line.startsWith("-A FORWARD ")) {
        rules.add(line);
      }
    }
    String see = iptables + " -S FORWARD";
    if (policy == null) {
      out.add(Finding.ok("FORWARD policy", "ACCEPT (no filter table)"));
      return out;
    }
    if (!policy.equals("DROP")) {
      out.add(Finding.ok("FORWARD policy", policy));
    } else if (!forwardRules) {
      out.add(Finding.fail("FORWARD policy", "DROP and --iptables-forward-rules=false", see,
          "pod traffic between nodes is dropped; drop the flag so flanneld accepts the cluster network"));
    } else if (rules.stream().noneMatch(r -> r.contains(" -j FLANNEL-FWD"))) {
      out.add(Finding.fail("FORWARD policy", "DROP and no jump to FLANNEL-FWD", see,
          "pod traffic between nodes is dropped; a running flanneld puts its jump back, else restart it"));
    } else {
      out.add(Finding.ok("FORWARD policy", "DROP (flanneld's FLANNEL-FWD accepts the cluster network)"));
    }
    if (forwardRules) {
      for (String r : rules) {
        if (r.contains(" -j FLANNEL-FWD")) {
          break;
        }
        if (r.endsWith(" -j DROP") || r.contains(" -j REJECT")) {
          out.add(Finding.warn("FORWARD order", "'" + r + "' comes before the jump to FLANNEL-FWD", see,
              "it may drop pod traffic before flanneld's accept rules see it"));
          break;
        }
      }
    }
    return out;
  }

  /** cni0 against subnet.env: the MTU and a gateway address inside this node's subnet. */
  static List<Finding> cniBridge(Optional<Link> link, List<Addr> addrs, int mtu, IpNet ownSubnet, IpNet network) {
    List<Finding> out = new ArrayList<>();
    if (link.isEmpty()) {
      out.add(Finding.warn("cni0", "absent", "ip -d link show cni0",
          "the CNI bridge plugin creates it with the first pod on this node"));
      return out;
    }
    if (link.get().mtu() != mtu) {
      out.add(Finding.fail("cni0 MTU", link.get().mtu() + ", subnet.env says FLANNEL_MTU=" + mtu, "ip link show cni0",
          "pods get the bridge's MTU wrong; ip link set cni0 mtu " + mtu + " (and recreate pods started since)"));
    } else {
      out.add(Finding.ok("cni0 MTU", Integer.toString(mtu)));
    }
    String want = ownSubnet.firstHost().toString();
    List<String> inNetwork = new ArrayList<>();
    boolean good = false;
    for (Addr a : addrs) {
      if (!network.contains(a.address())) {
        continue;
      }
      String text = a.address().getHostAddress() + "/" + a.prefixLength();
      inNetwork.add(text);
      if (!ownSubnet.contains(a.address())) {
        out.add(Finding.fail("cni0 address", text + " is outside this node's subnet " + ownSubnet,
            "ip addr show dev cni0", "left from an earlier subnet; pods fail with 'cni0 already has an IP address"
                + " different from'; ip link delete cni0 and restart the node's pods"));
      } else {
        good = true;
      }
    }
    if (good && inNetwork.size() == 1) {
      out.add(Finding.ok("cni0 address", inNetwork.get(0) + (inNetwork.get(0).equals(want) ? "" : " in " + ownSubnet)));
    } else if (inNetwork.isEmpty()) {
      out.add(Finding.warn("cni0 address", "none inside the cluster network, expected " + want,
          "ip addr show dev cni0", "the bridge plugin sets it with the next pod"));
    }
    return out;
  }

  private static final Pattern FLANNEL_TYPE = Pattern.compile("\"type\"\\s*:\\s*\"flannel\"");

  /** The CNI config file: present, JSON, and using the flannel plugin. */
  static Finding cniConfig(Path path) {
    String see = "cat " + path;
    if (!Files.exists(path)) {
      return Finding.warn("CNI config", path + " is missing", "ls " + path.getParent(),
          "pods cannot use the flannel network without it (kube-flannel's install-cni container writes it)");
    }
    try {
      String text = Files.readString(path, StandardCharsets.UTF_8);
      JsonNode root = new ObjectMapper().readTree(text);
      if (root == null || !root.isObject()) {
        return Finding.fail("CNI config", path + " is not a JSON object", see, "rewrite it from kube-flannel.yml");
      }
      Matcher m = FLANNEL_TYPE.matcher(text);
      if (!m.find()) {
        return Finding.warn("CNI config", path + " does not use the flannel plugin", see,
            "pods on this node use another network setup");
      }
      return Finding.ok("CNI config", path + " present, uses the flannel plugin");
    } catch (IOException e) {
      return Finding.fail("CNI config", path + " is not valid JSON: " + e.getMessage().lines().findFirst().orElse(""),
          see, "the container runtime cannot read it; rewrite it from kube-flannel.yml");
    }
  }
}
