package io.jflannel.lab.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jflannel.lab.CniAttacher;
import io.jflannel.lab.Exec;
import io.jflannel.lab.LabException;
import io.jflannel.lab.LabJanitor;
import io.jflannel.lab.LabNode;
import io.jflannel.lab.Pod;
import io.jflannel.lab.SubnetEnv;
import io.jflannel.lab.Underlay;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The lab's two-node topology with the flannel dataplane programmed by hand with iproute2
 * instead of by flanneld: a switch namespace with bridge {@code br0}, two node namespaces
 * ({@code eth0} 192.0.2.K/24 on the bridge, forwarding on), one pod per node attached to
 * {@code cni0} by the same CNI {@code bridge} plugin and delegate config the lab uses. Only
 * the per-backend objects differ in origin: for vxlan {@code flannel.1} (VNI 1, local address,
 * {@code nolearning}, port 8472, MTU = underlay - 50, address 10.244.K.0/32) plus one permanent
 * neighbour, one FDB entry and one onlink route per peer; for host-gw one route per peer via
 * the peer's underlay address. Every namespace is deleted on {@link #close()}.
 */
final class HandTopology implements AutoCloseable {
  /** The vxlan encapsulation overhead over IPv4 (outer IP 20 + UDP 8 + VXLAN 8 + inner Ethernet 14). */
  static final int VXLAN_OVERHEAD = 50;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String NETWORK = "10.244.0.0/16";

  private final String name;
  private final boolean vxlan;
  private final Path cniPath;
  private final Path work;
  private final List<String> namespaces = new ArrayList<>();
  private final List<LabNode> nodes = new ArrayList<>();
  private final List<Pod> pods = new ArrayList<>();

  /**
   * @param name namespace prefix (namespaces are {@code <name>-sw}, {@code <name>-n<K>},
   *     {@code <name>-n<K>-p1})
   * @param vxlan vxlan when true, host-gw otherwise
   * @param cniPath directory of the CNI plugins
   * @param work a fresh directory for host-local's data
   */
  HandTopology(String name, boolean vxlan, Path cniPath, Path work) {
    this.name = name;
    this.vxlan = vxlan;
    this.cniPath = cniPath;
    this.work = work;
  }

  /** Creates everything; on failure the caller still closes. */
  HandTopology up() throws IOException {
    String sw = ns(name + "-sw");
    Exec.check("ip", "-n", sw, "link", "set", "lo", "up");
    Exec.check("ip", "-n", sw, "link", "add", Underlay.BRIDGE, "type", "bridge");
    Exec.check("ip", "-n", sw, "link", "set", Underlay.BRIDGE, "address", Underlay.SWITCH_MAC);
    Exec.check("ip", "-n", sw, "addr", "add", Underlay.SWITCH_IP + "/" + Underlay.PREFIX, "dev",
        Underlay.BRIDGE);
    Exec.check("ip", "-n", sw, "link", "set", Underlay.BRIDGE, "up");
    for (int k = 1; k <= 2; k++) {
      String node = ns(name + "-n" + k);
      String ip = Underlay.nodeIp(k);
      Exec.check("ip", "-n", sw, "link", "add", "veth-n" + k, "type", "veth", "peer", "name",
          Underlay.NODE_IFACE, "netns", node);
      Exec.check("ip", "-n", sw, "link", "set", "veth-n" + k, "master", Underlay.BRIDGE, "up");
      Exec.check("ip", "-n", node, "link", "set", "lo", "up");
      Exec.check("ip", "-n", node, "addr", "add", ip + "/" + Underlay.PREFIX, "dev",
          Underlay.NODE_IFACE);
      Exec.check("ip", "-n", node, "link", "set", Underlay.NODE_IFACE, "up");
      Exec.check("ip", "-n", node, "route", "add", "default", "via", Underlay.SWITCH_IP);
      Exec.runIn(node, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1").check();
      nodes.add(new LabNode(k, node, ip, work));
    }
    int underlayMtu = mtu(nodes.get(0).netns(), Underlay.NODE_IFACE);
    int podMtu = vxlan ? underlayMtu - VXLAN_OVERHEAD : underlayMtu;
    if (vxlan) {
      for (LabNode n : nodes) {
        Exec.check("ip", "-n", n.netns(), "link", "add", "flannel.1", "type", "vxlan", "id", "1",
            "local", n.underlayIp(), "dev", Underlay.NODE_IFACE, "nolearning", "dstport", "8472");
        Exec.check("ip", "-n", n.netns(), "link", "set", "flannel.1", "mtu",
            Integer.toString(podMtu), "up");
        Exec.check("ip", "-n", n.netns(), "addr", "add", "10.244." + n.index() + ".0/32", "dev",
            "flannel.1");
      }
    }
    for (LabNode n : nodes) {
      for (LabNode peer : nodes) {
        if (peer.index() != n.index()) {
          programPeer(n, peer);
        }
      }
    }
    CniAttacher cni = new CniAttacher(cniPath, Files.createDirectories(work.resolve("ipam")));
    for (LabNode n : nodes) {
      SubnetEnv env = SubnetEnv.parse("FLANNEL_NETWORK=" + NETWORK + "\nFLANNEL_SUBNET=10.244."
          + n.index() + ".1/24\nFLANNEL_MTU=" + podMtu + "\nFLANNEL_IPMASQ=true\n", name);
      String podNs = ns(n.netns() + "-p1");
      pods.add(cni.attach(n, n.name() + "-p1", podNs, env));
    }
    return this;
  }

  private void programPeer(LabNode n, LabNode peer) {
    String subnet = subnet(peer.index());
    if (!vxlan) {
      Exec.check("ip", "-n", n.netns(), "route", "replace", subnet, "via", peer.underlayIp(),
          "dev", Underlay.NODE_IFACE);
      return;
    }
    String vtep = "10.244." + peer.index() + ".0";
    String mac = mac(peer.netns(), "flannel.1");
    Exec.check("ip", "-n", n.netns(), "neigh", "replace", vtep, "dev", "flannel.1", "lladdr", mac,
        "nud", "permanent");
    Exec.check("ip", "netns", "exec", n.netns(), "bridge", "fdb", "append", mac, "dev",
        "flannel.1", "dst", peer.underlayIp(), "self", "permanent");
    Exec.check("ip", "-n", n.netns(), "route", "replace", subnet, "via", vtep, "dev", "flannel.1",
        "onlink");
  }

  /**
   * Copies the nft ruleset of a lab node (flanneld's {@code --ip-masq} rules through
   * iptables-nft) onto node {@code index} here, with the lab node's pod subnet replaced by this
   * node's, so connection tracking and NAT cost the same on both sides. Copied with nft rather
   * than iptables-save/restore, which would add empty base chains the daemon never creates.
   */
  void copyRulesFrom(LabNode labNode, String labSubnet, int index) {
    String rules = Exec.runIn(labNode.netns(), "nft", "list", "ruleset").check().stdout()
        .replace(labSubnet, subnet(index));
    Exec.run(Exec.inNetns(node(index).netns(), "nft", "-f", "-"), rules, java.util.Map.of(),
        java.time.Duration.ofSeconds(30)).check();
  }

  /** The pod subnet of node {@code index}. */
  static String subnet(int index) {
    return "10.244." + index + ".0/24";
  }

  LabNode node(int index) {
    return nodes.get(index - 1);
  }

  /** The pod of node {@code index}. */
  Pod pod(int index) {
    return pods.get(index - 1);
  }

  private String ns(String ns) {
    namespaces.add(ns);
    Exec.check("ip", "netns", "add", ns);
    return ns;
  }

  /** The MTU of {@code dev} in {@code netns}. */
  static int mtu(String netns, String dev) {
    return link(netns, dev).path("mtu").asInt();
  }

  /** The MAC address of {@code dev} in {@code netns}. */
  static String mac(String netns, String dev) {
    return link(netns, dev).path("address").asText();
  }

  /** {@code ip -d -j link show dev DEV} as JSON. */
  static JsonNode link(String netns, String dev) {
    String out = Exec.check("ip", "-n", netns, "-d", "-j", "link", "show", "dev", dev).stdout();
    try {
      JsonNode arr = JSON.readTree(out);
      if (!arr.isArray() || arr.isEmpty()) {
        throw new LabException("no device " + dev + " in " + netns);
      }
      return arr.get(0);
    } catch (IOException e) {
      throw new LabException("ip -j link output for " + dev + " in " + netns + " is not JSON", e);
    }
  }

  /** Deletes every namespace created, pods and nodes before the switch. */
  @Override
  public void close() {
    List<String> ordered = new ArrayList<>(namespaces);
    ordered.sort((a, b) -> Integer.compare(b.length(), a.length()));
    RuntimeException first = null;
    for (String n : ordered) {
      try {
        LabJanitor.deleteNamespace(n);
      } catch (RuntimeException e) {
        if (first == null) {
          first = e;
        } else {
          first.addSuppressed(e);
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }
}
