package io.jflannel.backend.lab;

import io.jflannel.backend.PeerFeed;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jflannel.backend.BackendContext;
import io.jflannel.backend.Backends;
import io.jflannel.backend.ExternalInterface;
import io.jflannel.backend.InMemorySubnetManager;
import io.jflannel.backend.Network;
import io.jflannel.backend.RecordingListener;
import io.jflannel.netlink.Netlink;
import io.jflannel.subnet.IpNet;
import io.jflannel.subnet.Lease;
import io.jflannel.subnet.LeaseAttrs;
import io.jflannel.subnet.NetworkConfig;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link Lab} with a backend running in this JVM for each node, against the node's own
 * namespace handle, with leases fed directly.
 */
public final class BackendCluster implements AutoCloseable {
  public static final ObjectMapper JSON = new ObjectMapper();
  public final Lab lab;
  public final NetworkConfig config;
  public final List<Netlink> handles = new ArrayList<>();
  public final List<Network> nets = new ArrayList<>();
  public final List<RecordingListener> listeners = new ArrayList<>();
  public final List<InMemorySubnetManager> subnets = new ArrayList<>();

  private BackendCluster(Lab lab, NetworkConfig config) {
    this.lab = lab;
    this.config = config;
  }

  /**
   * Builds the lab and registers a network on every node.
   *
   * @param backendJson the Backend object of net-conf.json, e.g. {@code {"Type":"vxlan"}}
   */
  public static BackendCluster start(int nodes, boolean pods, String backendJson) throws Exception {
    return start(nodes, pods, backendJson, "10.244.0.0/16");
  }

  /** As {@link #start(int, boolean, String)} with another Network (must contain 10.244.N.0/24). */
  public static BackendCluster start(int nodes, boolean pods, String backendJson, String network) throws Exception {
    JsonNode backend = JSON.readTree(backendJson);
    NetworkConfig cfg = InMemorySubnetManager.config(network,
        new NetworkConfig.BackendConfig(backend.path("Type").asText().toLowerCase(java.util.Locale.ROOT), backend));
    BackendCluster c = new BackendCluster(Lab.create(nodes, pods), cfg);
    try {
      for (Lab.Node n : c.lab.nodes) {
        c.handles.add(Netlink.open(n.netns()));
        c.listeners.add(new RecordingListener());
        c.subnets.add(null);
        c.nets.add(null);
        c.register(n.n(), null);
      }
      return c;
    } catch (Exception | Error e) {
      c.close();
      throw e;
    }
  }

  /** The external interface of a node as the daemon would describe it. */
  public ExternalInterface ext(int n) throws Exception {
    InetAddress a = InetAddress.getByName(lab.node(n).addr());
    return ExternalInterface.ipv4("eth0", Lab.ifindex(lab.node(n).ns(), "eth0"), a, 1500);
  }

  /**
   * (Re)registers node {@code n}'s network (closing the previous one, leaving its dataplane).
   *
   * @param previous what the store reports as the node's earlier attributes, or null
   */
  public Network register(int n, LeaseAttrs previous) throws Exception {
    return register(n, previous, ext(n));
  }

  /**
   * (Re)registers node {@code n} advertising {@code publicIp} instead of its interface address,
   * as {@code --public-ip} does behind NAT.
   */
  public Network registerBehindNat(int n, InetAddress publicIp) throws Exception {
    ExternalInterface e = ext(n);
    return register(n, null, new ExternalInterface(e.name(), e.index(), e.ifaceAddr(), null, publicIp, null, e.mtu()));
  }

  private Network register(int n, LeaseAttrs previous, ExternalInterface ext) throws Exception {
    Network old = nets.get(n - 1);
    if (old != null) {
      old.close();
    }
    InMemorySubnetManager sm = new InMemorySubnetManager(config, IpNet.parse(lab.node(n).subnet()), previous);
    subnets.set(n - 1, sm);
    BackendContext ctx = new BackendContext(handles.get(n - 1), ext, sm, listeners.get(n - 1), Duration.ofSeconds(60));
    Network net = Backends.create(config.backend().type(), ctx).registerNetwork(config);
    nets.set(n - 1, net);
    return net;
  }

  public Network net(int n) {
    return nets.get(n - 1);
  }

  public Lease lease(int n) {
    return nets.get(n - 1).lease();
  }

  /** Every node gets every other node's lease. */
  public void reconcileAll() {
    for (int i = 1; i <= nets.size(); i++) {
      List<Lease> peers = new ArrayList<>();
      for (int j = 1; j <= nets.size(); j++) {
        if (j != i) {
          peers.add(lease(j));
        }
      }
      PeerFeed.reconcile(net(i), peers);
    }
  }

  /** Starts event-driven repair everywhere. */
  public void startAll() {
    nets.forEach(Network::start);
  }

  @Override
  public void close() {
    for (Network n : nets) {
      if (n != null) {
        n.close();
      }
    }
    handles.forEach(Netlink::close);
    lab.close();
  }
}
