package io.jflannel.subnet.kube;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.jflannel.subnet.IpLiteral;
import io.jflannel.subnet.IpNet;
import io.jflannel.subnet.NetworkConfigParser;
import io.jflannel.subnet.SubnetException;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link KubeSubnetManager#readOwnLease}, the read-only entry point of {@code flanneld check}:
 * the own Node's lease as peers read it, the advertised address, every reason it can have none,
 * and no request but one GET of the Node.
 */
class KubeOwnLeaseTest {
  private static final String P = MockCluster.P;
  private final MockCluster cluster = new MockCluster();
  private final InetAddress ext = IpLiteral.parseV4("192.0.2.10");

  @AfterEach
  void stop() {
    cluster.close();
  }

  private KubeSubnetManager manager() throws SubnetException {
    return new KubeSubnetManager(cluster.client, NetworkConfigParser.parse("{\"Network\":\"10.244.0.0/16\"}"), "self",
        KubeOptions.defaults());
  }

  private void self(Map<String, String> annotations, String... podCidrs) {
    cluster.create(MockCluster.node("self", podCidrs).editMetadata().addToAnnotations(annotations).endMetadata());
  }

  @Test
  void thePublishedLeaseIsReadAsPeersReadItWithOneGetAndNoWrite() throws Exception {
    self(MockCluster.vxlanPeer("192.0.2.10", "2a:00:00:00:00:01"), "10.244.3.0/24");
    KubeSubnetManager.OwnLease own = manager().readOwnLease(ext);
    assertEquals(IpNet.parseNetwork("10.244.3.0/24"), own.published().subnet());
    assertEquals(ext, own.published().attrs().publicIp());
    assertEquals("vxlan", own.published().attrs().backendType());
    assertEquals("{\"VNI\":1,\"VtepMAC\":\"2a:00:00:00:00:01\"}", own.published().attrs().backendData().toString());
    assertEquals(ext, own.advertised());
    assertEquals(List.of(new StatusMetadataDispatcher.Request("GET", "/api/v1/nodes/self")),
        cluster.dispatcher.requests());
    assertEquals(List.of(), cluster.dispatcher.writes());
  }

  @Test
  void theOverwriteAnnotationIsWhatTheDaemonAdvertises() throws Exception {
    Map<String, String> a = new HashMap<>(MockCluster.vxlanPeer("198.51.100.7", "2a:00:00:00:00:01"));
    a.put(P + "public-ip-overwrite", "198.51.100.7");
    self(a, "10.244.3.0/24");
    KubeSubnetManager.OwnLease own = manager().readOwnLease(ext);
    assertEquals(IpLiteral.parseV4("198.51.100.7"), own.advertised());
    assertEquals(own.advertised(), own.published().attrs().publicIp());
  }

  @Test
  void aNodeFlanneldNeverAnnotatedPublishesNoLease() throws Exception {
    self(Map.of(), "10.244.3.0/24");
    SubnetException e = assertThrows(SubnetException.class, () -> manager().readOwnLease(ext));
    assertEquals("node \"self\" publishes no lease: no " + P + "kube-subnet-manager=true annotation", e.getMessage());
    assertEquals(List.of(), cluster.dispatcher.writes());
  }

  @Test
  void aMalformedAnnotationIsNamed() throws Exception {
    Map<String, String> a = new HashMap<>(MockCluster.vxlanPeer("192.0.2.10", "2a:00:00:00:00:01"));
    a.put(P + "public-ip", "192.0.2.010");
    self(a, "10.244.3.0/24");
    SubnetException e = assertThrows(SubnetException.class, () -> manager().readOwnLease(ext));
    assertEquals(true, e.getMessage().startsWith("node \"self\" publishes a malformed lease: " + P + "public-ip "),
        e.getMessage());
  }

  @Test
  void aMissingOrStrayPodCidrIsWordedAsAtStartUp() throws Exception {
    self(MockCluster.vxlanPeer("192.0.2.10", "2a:00:00:00:00:01"));
    SubnetException none = assertThrows(SubnetException.class, () -> manager().readOwnLease(ext));
    assertEquals("node \"self\" pod cidr not assigned", none.getMessage());
    cluster.setPodCidrs("self", "10.99.3.0/24");
    SubnetException outside = assertThrows(SubnetException.class, () -> manager().readOwnLease(ext));
    assertEquals("pod cidr 10.99.3.0/24 of node \"self\" is outside the flannel Network 10.244.0.0/16",
        outside.getMessage());
  }

  @Test
  void aMissingNodeIsNamed() throws Exception {
    SubnetException e = assertThrows(SubnetException.class, () -> manager().readOwnLease(ext));
    assertEquals("node \"self\" not found", e.getMessage());
  }
}
