package io.jflannel.backend.lab;

import io.jflannel.netlink.NetNs;
import io.jflannel.netlink.testing.TestNetns;
import java.util.ArrayList;
import java.util.List;

/**
 * Nodes as network namespaces on one underlay: a bridge {@code br0} in a "switch" namespace
 * with a veth leg to each node's {@code eth0} (192.0.2.N/24), and per node optionally a pod
 * namespace behind a {@code cni0} bridge (pod 10.244.N.2/24, gateway 10.244.N.1). Nothing
 * is created in the machine's own namespace: veth pairs are made inside a node namespace
 * with their peer moved straight to the switch. {@link #close()} deletes every namespace.
 */
public final class Lab implements AutoCloseable {
  /** Namespaces are {@code jfl-be-sw-<hex>}, {@code jfl-be-n1-<hex>}, {@code jfl-be-p1-<hex>}. */
  public static final String PREFIX = "be-";
  public String sw;
  public final List<Node> nodes = new ArrayList<>();
  private final List<TestNetns> namespaces = new ArrayList<>();

  /**
   * One node.
   *
   * @param n   1-based node number
   * @param ns  node namespace
   * @param pod pod namespace, or null when none
   */
  public record Node(int n, String ns, String pod) {
    public NetNs netns() {
      return new NetNs(ns);
    }

    /** The node's underlay address. */
    public String addr() {
      return "192.0.2." + n;
    }

    /** The node's subnet, {@code 10.244.N.0/24}. */
    public String subnet() {
      return "10.244." + n + ".0/24";
    }

    /** The pod's address. */
    public String podIp() {
      return "10.244." + n + ".2";
    }
  }

  /** Builds {@code count} nodes, with a pod each when {@code pods}. */
  public static Lab create(int count, boolean pods) {
    Lab lab = new Lab();
    try {
      lab.build(count, pods);
      return lab;
    } catch (RuntimeException e) {
      lab.close();
      throw e;
    }
  }

  private String addNs(String prefix) {
    TestNetns ns = TestNetns.create(prefix);
    namespaces.add(ns);
    return ns.name();
  }

  private void build(int count, boolean pods) {
    sw = addNs(PREFIX + "sw");
    Sh.ip(sw, "link", "add", "br0", "type", "bridge");
    Sh.ip(sw, "link", "set", "br0", "up");
    for (int n = 1; n <= count; n++) {
      String ns = addNs(PREFIX + "n" + n);
      plugUnderlay(ns, n);
      // Inside the node namespace only: it routes between its pods and the overlay.
      Sh.exec(ns, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
      String pod = null;
      if (pods) {
        pod = addNs(PREFIX + "p" + n);
        Sh.ip(ns, "link", "add", "cni0", "type", "bridge");
        Sh.ip(ns, "addr", "add", "10.244." + n + ".1/24", "dev", "cni0");
        Sh.ip(ns, "link", "set", "cni0", "up");
        Sh.ip(pod, "link", "add", "eth0", "type", "veth", "peer", "name", "vethpod", "netns", ns);
        Sh.ip(ns, "link", "set", "vethpod", "master", "cni0", "up");
        Sh.ip(pod, "addr", "add", "10.244." + n + ".2/24", "dev", "eth0");
        Sh.ip(pod, "link", "set", "eth0", "up");
        Sh.ip(pod, "route", "add", "default", "via", "10.244." + n + ".1");
      }
      nodes.add(new Node(n, ns, pod));
    }
  }

  /** Node {@code n}'s {@code eth0}: a veth whose other end is on the switch's bridge, 192.0.2.N/24, up. */
  private void plugUnderlay(String ns, int n) {
    Sh.ip(ns, "link", "add", "eth0", "type", "veth", "peer", "name", "leg" + n, "netns", sw);
    Sh.ip(sw, "link", "set", "leg" + n, "master", "br0", "up");
    Sh.ip(ns, "addr", "add", "192.0.2." + n + "/24", "dev", "eth0");
    Sh.ip(ns, "link", "set", "eth0", "up");
  }

  /**
   * Deletes node {@code n}'s {@code eth0} and creates it again under the same name, as a NIC
   * driver reload or a rebuilt bond does: the new one has another index.
   */
  public void replugUnderlay(int n) {
    String ns = node(n).ns();
    Sh.ip(ns, "link", "del", "eth0");
    plugUnderlay(ns, n);
  }

  public Node node(int n) {
    return nodes.get(n - 1);
  }

  /** The ifindex of a device in a namespace. */
  public static int ifindex(String ns, String dev) {
    String out = Sh.ip(ns, "-o", "link", "show", "dev", dev);
    return Integer.parseInt(out.substring(0, out.indexOf(':')).strip());
  }

  /** True when one ping from the pod of {@code from} to {@code toIp} is answered within 2 s. */
  public boolean ping(Node from, String toIp) {
    return Sh.tryExec(from.pod() != null ? from.pod() : from.ns(), "ping", "-c", "1", "-W", "2", toIp).exit() == 0;
  }

  @Override
  public void close() {
    for (int i = namespaces.size() - 1; i >= 0; i--) {
      try {
        namespaces.get(i).close();
      } catch (RuntimeException e) {
        System.err.println("cannot delete namespace " + namespaces.get(i).name() + ": " + e.getMessage());
      }
    }
    namespaces.clear();
  }
}
