package io.jflannel.lab;

import java.nio.file.Path;

/**
 * The lab's shared underlay: a switch namespace holding bridge {@code br0} (192.0.2.254/24),
 * and per node a veth pair whose {@code eth0} end sits in the node namespace with address
 * 192.0.2.K/24 and a default route via the switch. Devices are created inside the lab's
 * namespaces only; the machine's own namespace is never touched.
 */
public final class Underlay {
  /** The switch's address on the underlay; the store listens here. */
  public static final String SWITCH_IP = "192.0.2.254";
  /** The underlay's prefix length. */
  public static final int PREFIX = 24;
  /** The switch bridge's fixed, locally administered MAC address. */
  public static final String SWITCH_MAC = "02:00:c0:00:02:fe";
  /** The bridge in the switch namespace. */
  public static final String BRIDGE = "br0";
  /** The node's underlay interface name. */
  public static final String NODE_IFACE = "eth0";

  private final LabSpec spec;
  private final LabState state;

  Underlay(LabSpec spec, LabState state) {
    this.spec = spec;
    this.state = state;
  }

  /** Creates the switch namespace and its bridge. */
  public void create() {
    String sw = spec.switchNetns();
    addNamespace(sw);
    Exec.check("ip", "-n", sw, "link", "set", "lo", "up");
    Exec.check("ip", "-n", sw, "link", "add", BRIDGE, "type", "bridge");
    // A bridge without a set address takes the lowest address of its ports and changes it
    // when that port leaves; nodes would keep the old one in their ARP cache and lose the
    // store for up to a minute after a node is removed. A fixed address never changes.
    Exec.check("ip", "-n", sw, "link", "set", BRIDGE, "address", SWITCH_MAC);
    Exec.check("ip", "-n", sw, "addr", "add", SWITCH_IP + "/" + PREFIX, "dev", BRIDGE);
    Exec.check("ip", "-n", sw, "link", "set", BRIDGE, "up");
  }

  /** The underlay address of node {@code index}. */
  public static String nodeIp(int index) {
    if (index < 1 || index > 253) {
      throw new LabException("node index " + index + " is outside 1..253");
    }
    return "192.0.2." + index;
  }

  /** Creates node {@code index}'s namespace and plugs it into the switch. */
  public LabNode addNode(int index, Path dir) {
    String ns = spec.nodeNetns(index);
    String ip = nodeIp(index);
    String leg = "veth-n" + index;
    addNamespace(ns);
    Exec.check("ip", "-n", spec.switchNetns(), "link", "add", leg, "type", "veth",
        "peer", "name", NODE_IFACE, "netns", ns);
    Exec.check("ip", "-n", spec.switchNetns(), "link", "set", leg, "master", BRIDGE, "up");
    Exec.check("ip", "-n", ns, "link", "set", "lo", "up");
    Exec.check("ip", "-n", ns, "addr", "add", ip + "/" + PREFIX, "dev", NODE_IFACE);
    Exec.check("ip", "-n", ns, "link", "set", NODE_IFACE, "up");
    Exec.check("ip", "-n", ns, "route", "add", "default", "via", SWITCH_IP);
    // Nodes route pod traffic; the switch only bridges.
    Exec.runIn(ns, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1").check();
    return new LabNode(index, ns, ip, dir);
  }

  /** Removes a node's namespace (its veth leg on the switch goes with it). */
  public void removeNode(LabNode node) {
    removeNamespace(node.netns());
  }

  /** Creates a namespace, recording it first so a crash in between still cleans it up. */
  public void addNamespace(String ns) {
    state.addNamespace(ns);
    Exec.check("ip", "netns", "add", ns);
  }

  /** Deletes a namespace (stopping anything left inside) and forgets it. */
  public void removeNamespace(String ns) {
    LabJanitor.deleteNamespace(ns);
    state.removeNamespace(ns);
  }
}
