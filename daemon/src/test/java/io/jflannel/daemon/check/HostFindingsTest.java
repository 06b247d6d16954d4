package io.jflannel.daemon.check;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jflannel.netlink.Addr;
import io.jflannel.netlink.Link;
import io.jflannel.subnet.IpLiteral;
import io.jflannel.subnet.IpNet;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link HostFindings} on a constructed {@code /proc/sys} tree, {@code iptables-save} texts,
 * links, addresses and CNI config files: one test per kind of finding.
 */
class HostFindingsTest {
  @TempDir Path sys;
  static final IpNet NETWORK = IpNet.parseNetwork("10.244.0.0/16");
  static final IpNet OWN = IpNet.parseNetwork("10.244.1.0/24");

  void sysctl(String path, String value) throws IOException {
    Path p = sys.resolve(path);
    Files.createDirectories(p.getParent());
    Files.writeString(p, value + "\n");
  }

  static String line(Finding f) {
    return f.line();
  }

  static List<String> lines(List<Finding> f) {
    return f.stream().map(Finding::line).toList();
  }

  @Test
  void ipForward() throws IOException {
    HostFindings h = new HostFindings(sys);
    assertEquals("FAIL net.ipv4.ip_forward: unreadable | see: sysctl net.ipv4.ip_forward | hint: the node does not"
        + " route pod traffic; set it: sysctl -w net.ipv4.ip_forward=1", line(h.ipForward()));
    sysctl("net/ipv4/ip_forward", "0");
    assertEquals(Finding.Level.FAIL, h.ipForward().level());
    assertEquals("net.ipv4.ip_forward: 0", h.ipForward().subject() + ": " + h.ipForward().detail());
    sysctl("net/ipv4/ip_forward", "1");
    assertEquals("OK   net.ipv4.ip_forward: 1", line(h.ipForward()));
  }

  @Test
  void bridgeNetfilter() throws IOException {
    HostFindings h = new HostFindings(sys);
    assertEquals("OK   net.bridge.bridge-nf-call-iptables: not needed with EnableNFTables", line(h.bridgeNetfilter(true)));
    assertEquals("FAIL net.bridge.bridge-nf-call-iptables: absent: br_netfilter is not loaded | see: lsmod | grep"
        + " br_netfilter | hint: bridged pod traffic bypasses iptables (Services, masquerade); modprobe br_netfilter",
        line(h.bridgeNetfilter(false)));
    sysctl("net/bridge/bridge-nf-call-iptables", "0");
    assertEquals("FAIL net.bridge.bridge-nf-call-iptables: 0 | see: sysctl net.bridge.bridge-nf-call-iptables"
        + " | hint: bridged pod traffic bypasses iptables (Services, masquerade);"
        + " sysctl -w net.bridge.bridge-nf-call-iptables=1", line(h.bridgeNetfilter(false)));
    sysctl("net/bridge/bridge-nf-call-iptables", "1");
    assertEquals("OK   net.bridge.bridge-nf-call-iptables: 1", line(h.bridgeNetfilter(false)));
  }

  @Test
  void rpFilterStrictIsAWarnAndTheLargerOfAllAndTheDeviceCounts() throws IOException {
    sysctl("net/ipv4/conf/all/rp_filter", "0");
    sysctl("net/ipv4/conf/eth0/rp_filter", "1");
    sysctl("net/ipv4/conf/flannel.1/rp_filter", "2");
    sysctl("net/ipv4/conf/cni0/rp_filter", "0");
    List<Finding> f = new HostFindings(sys).rpFilter(List.of("eth0", "flannel.1", "cni0", "absent0"));
    assertEquals(List.of("WARN rp_filter eth0: 1 (strict; all=0, eth0=1) | see: sysctl net.ipv4.conf.all.rp_filter"
            + " net.ipv4.conf.eth0.rp_filter | hint: strict reverse-path filtering drops pod packets that arrive on"
            + " another device than the reply route; loose mode (2) is safe",
        "OK   rp_filter flannel.1: 2 (loose)", "OK   rp_filter cni0: 0 (off)"), lines(f));
    sysctl("net/ipv4/conf/all/rp_filter", "1");
    assertEquals(Finding.Level.WARN, new HostFindings(sys).rpFilter(List.of("cni0")).get(0).level());
  }

  static final String JUMP = "-A FORWARD -m comment --comment \"flanneld forward\" -j FLANNEL-FWD";

  static String save(String policy, String... rules) {
    StringBuilder sb = new StringBuilder("*nat\n:POSTROUTING ACCEPT [0:0]\nCOMMIT\n*filter\n:INPUT ACCEPT [0:0]\n"
        + ":FORWARD " + policy + " [0:0]\n:FLANNEL-FWD - [0:0]\n");
    for (String r : rules) {
      sb.append(r).append('\n');
    }
    return sb.append("COMMIT\n").toString();
  }

  @Test
  void forwardPolicy() {
    assertEquals(List.of("OK   FORWARD policy: ACCEPT (no filter table)"),
        lines(HostFindings.forwardPolicy("*nat\nCOMMIT\n", true, "iptables")));
    assertEquals(List.of("OK   FORWARD policy: ACCEPT"), lines(HostFindings.forwardPolicy(save("ACCEPT"), true,
        "iptables")));
    assertEquals(List.of("OK   FORWARD policy: DROP (flanneld's FLANNEL-FWD accepts the cluster network)"),
        lines(HostFindings.forwardPolicy(save("DROP", JUMP), true, "iptables")));
    assertEquals(List.of("FAIL FORWARD policy: DROP and no jump to FLANNEL-FWD | see: iptables-nft -S FORWARD | hint:"
        + " pod traffic between nodes is dropped; a running flanneld puts its jump back, else restart it"),
        lines(HostFindings.forwardPolicy(save("DROP"), true, "iptables-nft")));
    assertEquals(List.of("FAIL FORWARD policy: DROP and --iptables-forward-rules=false | see: iptables -S FORWARD"
        + " | hint: pod traffic between nodes is dropped; drop the flag so flanneld accepts the cluster network"),
        lines(HostFindings.forwardPolicy(save("DROP"), false, "iptables")));
  }

  @Test
  void aDropRuleAheadOfOurJumpIsAWarnAndOneAfterItIsNot() {
    String drop = "-A FORWARD -i eth1 -j DROP";
    assertEquals(List.of("OK   FORWARD policy: ACCEPT", "WARN FORWARD order: '" + drop + "' comes before the jump to"
            + " FLANNEL-FWD | see: iptables -S FORWARD | hint: it may drop pod traffic before flanneld's accept rules"
            + " see it"), lines(HostFindings.forwardPolicy(save("ACCEPT", drop, JUMP), true, "iptables")));
    assertEquals(List.of("OK   FORWARD policy: ACCEPT"),
        lines(HostFindings.forwardPolicy(save("ACCEPT", JUMP, drop), true, "iptables")));
  }

  static Link cni0(int mtu) {
    return new Link(9, "cni0", "bridge", mtu, null, Link.IFF_UP, true, 0, Optional.empty());
  }

  static Addr addr(String a, int len) {
    return new Addr(9, IpLiteral.parseV4(a), len);
  }

  @Test
  void cniBridge() {
    assertEquals(List.of("WARN cni0: absent | see: ip -d link show cni0 | hint: the CNI bridge plugin creates it with"
        + " the first pod on this node"), lines(HostFindings.cniBridge(Optional.empty(), List.of(), 1450, OWN,
        NETWORK)));
    assertEquals(List.of("OK   cni0 MTU: 1450", "OK   cni0 address: 10.244.1.1/24"),
        lines(HostFindings.cniBridge(Optional.of(cni0(1450)), List.of(addr("10.244.1.1", 24)), 1450, OWN, NETWORK)));
    assertEquals(List.of("FAIL cni0 MTU: 1500, subnet.env says FLANNEL_MTU=1450 | see: ip link show cni0 | hint:"
            + " pods get the bridge's MTU wrong; ip link set cni0 mtu 1450 (and recreate pods started since)",
        "WARN cni0 address: none inside the cluster network, expected 10.244.1.1/24 | see: ip addr show dev cni0"
            + " | hint: the bridge plugin sets it with the next pod"),
        lines(HostFindings.cniBridge(Optional.of(cni0(1500)), List.of(addr("192.168.5.1", 24)), 1450, OWN,
            NETWORK)));
  }

  @Test
  void aCni0AddressFromAnEarlierSubnetIsAFail() {
    assertEquals(List.of("OK   cni0 MTU: 1450", "FAIL cni0 address: 10.244.2.1/24 is outside this node's subnet"
            + " 10.244.1.0/24 | see: ip addr show dev cni0 | hint: left from an earlier subnet; pods fail with 'cni0"
            + " already has an IP address different from'; ip link delete cni0 and restart the node's pods"),
        lines(HostFindings.cniBridge(Optional.of(cni0(1450)), List.of(addr("10.244.2.1", 24)), 1450, OWN, NETWORK)));
  }

  @Test
  void cniConfig() throws IOException {
    Path conf = sys.resolve("10-flannel.conflist");
    assertEquals("WARN CNI config: " + conf + " is missing | see: ls " + sys + " | hint: pods cannot use the flannel"
        + " network without it (kube-flannel's install-cni container writes it)", line(HostFindings.cniConfig(conf)));
    Files.writeString(conf, "{\"name\":\"cbr0\",\"plugins\":[{\"type\":\"flannel\"}]}");
    assertEquals("OK   CNI config: " + conf + " present, uses the flannel plugin", line(HostFindings.cniConfig(conf)));
    Files.writeString(conf, "{\"name\":\"cbr0\",\"plugins\":[{\"type\":\"calico\"}]}");
    assertEquals(Finding.Level.WARN, HostFindings.cniConfig(conf).level());
    assertEquals(conf + " does not use the flannel plugin", HostFindings.cniConfig(conf).detail());
    Files.writeString(conf, "[1]");
    assertEquals(conf + " is not a JSON object", HostFindings.cniConfig(conf).detail());
    Files.writeString(conf, "{\"name\":");
    Finding bad = HostFindings.cniConfig(conf);
    assertEquals(Finding.Level.FAIL, bad.level());
    assertEquals(true, bad.detail().startsWith(conf + " is not valid JSON: "), bad.detail());
  }
}
