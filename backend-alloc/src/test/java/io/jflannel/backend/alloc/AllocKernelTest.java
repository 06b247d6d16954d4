package io.jflannel.backend.alloc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.TextNode;
import io.jflannel.backend.Backends;
import io.jflannel.backend.PeerFeed;
import io.jflannel.backend.ReconcilingNetwork;
import io.jflannel.backend.lab.BackendCluster;
import io.jflannel.backend.lab.Prereq;
import io.jflannel.backend.lab.Sh;
import io.jflannel.subnet.IpNet;
import io.jflannel.subnet.Lease;
import io.jflannel.subnet.LeaseAttrs;
import io.jflannel.subnet.LeaseAttrsJson;
import io.jflannel.subnet.SubnetEnv;
import io.jflannel.subnet.SubnetFile;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The alloc backend against real namespaces (root): a lease and subnet.env, nothing in the kernel. */
class AllocKernelTest {
  BackendCluster c;
  @TempDir
  Path dir;

  @BeforeEach
  void prereq() {
    Prereq.requireRootAndCommands("ip");
  }

  @AfterEach
  void tearDown() {
    if (c != null) {
      c.close();
    }
  }

  static String kernelState(String ns) {
    return Sh.ip(ns, "-d", "link", "show") + Sh.ip(ns, "route", "show", "table", "all") + Sh.ip(ns, "neigh", "show")
        + Sh.exec(ns, "bridge", "fdb", "show");
  }

  @Test
  void leasesPublishesWritesSubnetEnvAndProgramsNothing() throws Exception {
    assertTrue(Backends.factory("ALLOC") instanceof AllocBackendFactory);
    c = BackendCluster.start(3, false, "{\"Type\":\"alloc\"}");
    String ns = c.lab.node(1).ns();
    String before = kernelState(ns);
    c.startAll();
    c.reconcileAll();
    // upstream's alloc lease: the address, no backend type, no backend data
    assertEquals("{\"PublicIP\":\"192.0.2.1\",\"PublicIPv6\":null}", LeaseAttrsJson.write(c.subnets.get(0).published()));
    Lease foreign = new Lease(IpNet.parse("10.244.9.0/24"), null, new LeaseAttrs(InetAddress.getByName("192.0.2.9"),
        null, "vxlan", TextNode.valueOf("x"), null), null);
    // Peers as an etcd store reads upstream's alloc value back: no type at all.
    Lease etcdPeer = new Lease(c.lease(2).subnet(), null, LeaseAttrsJson.read("{\"PublicIP\":\"192.0.2.2\",\"PublicIPv6\":null}"), null);
    PeerFeed.reconcile(c.net(1), List.of(etcdPeer, c.lease(3), foreign));
    ReconcilingNetwork net = (ReconcilingNetwork) c.net(1);
    assertEquals(java.util.Set.of(c.lease(2).key(), c.lease(3).key()), net.acceptedPeers());
    assertEquals("backend type \"vxlan\" differs from ours (\"\")", net.rejectedPeers().get(foreign.key()).detail());
    net.resyncNow();
    assertEquals(before, kernelState(ns), "no device, route, neighbour or FDB entry");
    assertEquals(0, c.listeners.get(0).counts.keySet().stream()
        .filter(k -> k.startsWith("error.") || k.startsWith("repaired.") || k.startsWith("stale.")).count(),
        c.listeners.get(0).counts.toString());
    // subnet.env as the daemon writes it from the network
    SubnetFile file = new SubnetFile(dir.resolve("subnet.env"));
    file.write(new SubnetEnv(c.config.network(), c.net(1).lease().subnet(), null, null, c.net(1).mtu(), true));
    assertEquals("FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.1.1/24\nFLANNEL_MTU=1500\nFLANNEL_IPMASQ=true\n",
        Files.readString(file.path()));
    assertTrue(Sh.ip(ns, "route", "show").lines().noneMatch(l -> l.startsWith("10.244.")), Sh.ip(ns, "route", "show"));
  }
}
