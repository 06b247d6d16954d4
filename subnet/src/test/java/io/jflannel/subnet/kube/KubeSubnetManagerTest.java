package io.jflannel.subnet.kube;

import static io.jflannel.subnet.kube.Fixtures.ip;
import static io.jflannel.subnet.kube.Fixtures.json;
import static io.jflannel.subnet.kube.Fixtures.vxlanAttrs;
import static io.jflannel.subnet.kube.MockCluster.P;
import static io.jflannel.subnet.kube.MockCluster.node;
import static io.jflannel.subnet.kube.MockCluster.vxlanPeer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.NodeConditionBuilder;
import io.jflannel.subnet.IpNet;
import io.jflannel.subnet.Lease;
import io.jflannel.subnet.LeaseAttrs;
import io.jflannel.subnet.LeaseEvent;
import io.jflannel.subnet.NetworkConfig;
import io.jflannel.subnet.SubnetException;
import io.jflannel.subnet.SubnetManager;
import io.jflannel.subnet.kube.Fixtures.RecordingSink;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class KubeSubnetManagerTest {

  private static final String MAC = "2a:95:ed:10:e4:56";
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private MockCluster k8s;
  private final List<KubeSubnetManager> managers = new ArrayList<>();

  @BeforeEach
  void start() {
    k8s = new MockCluster();
  }

  @AfterEach
  void stop() {
    managers.forEach(KubeSubnetManager::close);
    k8s.close();
  }

  private KubeSubnetManager manager(String node, NetworkConfig config, KubeOptions options) {
    KubeSubnetManager m = new KubeSubnetManager(k8s.client, config, node, options);
    managers.add(m);
    return m;
  }

  private KubeSubnetManager manager(String node) {
    return manager(node, Fixtures.ipv4Config(),
        KubeOptions.defaults().withPodCidrWait(Duration.ofMillis(200)));
  }

  private List<StatusMetadataDispatcher.Write> patches() {
    return k8s.dispatcher.writes().stream().filter(w -> w.method().equals("PATCH")).toList();
  }

  // ---- acquireLease --------------------------------------------------------------------

  @Test
  void acquireTakesSubnetFromPodCidrAndWritesAnnotationsThroughStatus() throws Exception {
    k8s.create(node("n1", "10.244.1.0/24"));
    Lease lease = manager("n1").acquireLease(vxlanAttrs("192.0.2.1", MAC));

    assertEquals(IpNet.parse("10.244.1.0/24"), lease.subnet());
    assertNull(lease.ipv6Subnet());
    assertNull(lease.expiration());
    assertEquals(ip("192.0.2.1"), lease.attrs().publicIp());

    List<StatusMetadataDispatcher.Write> writes = k8s.dispatcher.writes();
    assertEquals(1, writes.size(), writes.toString());
    StatusMetadataDispatcher.Write w = writes.get(0);
    assertTrue(w.is("PATCH", "/api/v1/nodes/n1/status"), w.toString());
    assertTrue(w.contentType().startsWith("application/merge-patch+json"), w.contentType());
    Map<String, String> expected = Map.of(
        P + "backend-type", "vxlan",
        P + "backend-data", "{\"VNI\":1,\"VtepMAC\":\"" + MAC + "\"}",
        P + "public-ip", "192.0.2.1",
        P + "kube-subnet-manager", "true");
    assertEquals(MAPPER.valueToTree(Map.of("metadata", Map.of("annotations", expected))),
        json(w.body()));

    Map<String, String> onNode = k8s.get("n1").getMetadata().getAnnotations();
    expected.forEach((k, v) -> assertEquals(v, onNode.get(k), k));
    assertEquals("0", onNode.get("node.alpha.kubernetes.io/ttl"), "other annotations kept");
  }

  @Test
  void hostGwWritesNullBackendData() throws Exception {
    k8s.create(node("n1", "10.244.1.0/24"));
    manager("n1").acquireLease(new LeaseAttrs(ip("192.0.2.1"), null, "host-gw", null, null));
    Map<String, String> a = k8s.get("n1").getMetadata().getAnnotations();
    assertEquals("host-gw", a.get(P + "backend-type"));
    assertEquals("null", a.get(P + "backend-data"));
  }

  @Test
  void secondAcquireWithSameAttrsSendsNoPatch() throws Exception {
    k8s.create(node("n1", "10.244.1.0/24"));
    manager("n1").acquireLease(vxlanAttrs("192.0.2.1", MAC));
    assertEquals(1, patches().size());
    KubeSubnetManager again = manager("n1");
    Lease lease = again.acquireLease(vxlanAttrs("192.0.2.1", MAC));
    assertEquals(IpNet.parse("10.244.1.0/24"), lease.subnet());
    assertEquals(1, patches().size(), "nothing differed, so no second patch");

    again.acquireLease(vxlanAttrs("192.0.2.9", MAC));
    assertEquals(2, patches().size());
    assertEquals(json("{\"metadata\":{\"annotations\":{\"" + P + "public-ip\":\"192.0.2.9\"}}}"),
        json(patches().get(1).body()), "only the changed key is sent");
  }

  @Test
  void missingPodCidrFailsWithUpstreamMessage() {
    k8s.create(node("n1"));
    SubnetException e = assertThrows(SubnetException.class,
        () -> manager("n1").acquireLease(vxlanAttrs("192.0.2.1", MAC)));
    assertEquals("node \"n1\" pod cidr not assigned", e.getMessage());
    assertTrue(patches().isEmpty());
  }

  @Test
  void podCidrAssignedWhileWaitingIsUsed() throws Exception {
    k8s.create(node("n1"));
    KubeSubnetManager m = manager("n1", Fixtures.ipv4Config(),
        KubeOptions.defaults().withPodCidrWait(Duration.ofSeconds(10)));
    CompletableFuture<Void> assign = CompletableFuture.runAsync(() -> {
      sleep(700);
      k8s.setPodCidrs("n1", "10.244.7.0/24");
    });
    Lease lease = m.acquireLease(vxlanAttrs("192.0.2.1", MAC));
    assign.join();
    assertEquals(IpNet.parse("10.244.7.0/24"), lease.subnet());
  }

  @Test
  void podCidrOutsideNetworkIsFatalAndNamesBoth() {
    k8s.create(node("n1", "10.9.1.0/24"));
    SubnetException e = assertThrows(SubnetException.class,
        () -> manager("n1").acquireLease(vxlanAttrs("192.0.2.1", MAC)));
    assertTrue(e.getMessage().contains("10.9.1.0/24"), e.getMessage());
    assertTrue(e.getMessage().contains("10.244.0.0/16"), e.getMessage());
    assertTrue(e.getMessage().contains("\"n1\""), e.getMessage());
  }

  @Test
  void missingNodeIsAClearError() {
    SubnetException e = assertThrows(SubnetException.class,
        () -> manager("ghost").acquireLease(vxlanAttrs("192.0.2.1", MAC)));
    assertEquals("node \"ghost\" not found", e.getMessage());
  }

  @Test
  void dualStackUsesFirstOfEachFamilyAndWritesV6Annotations() throws Exception {
    k8s.create(node("n1", "10.244.1.0/24", "fd00:10:244:1::/64"));
    KubeSubnetManager m = manager("n1", Fixtures.dualStackConfig(), KubeOptions.defaults());
    LeaseAttrs attrs = new LeaseAttrs(ip("192.0.2.1"), ip("2001:db8::1"), "vxlan",
        json("{\"VNI\":1,\"VtepMAC\":\"" + MAC + "\"}"),
        json("{\"VNI\":1,\"VtepMAC\":\"2a:95:ed:10:e4:57\"}"));
    Lease lease = m.acquireLease(attrs);
    assertEquals(IpNet.parse("10.244.1.0/24"), lease.subnet());
    assertEquals(IpNet.parse("fd00:10:244:1::/64"), lease.ipv6Subnet());
    Map<String, String> a = k8s.get("n1").getMetadata().getAnnotations();
    assertEquals("2001:db8::1", a.get(P + "public-ipv6"));
    assertEquals("{\"VNI\":1,\"VtepMAC\":\"2a:95:ed:10:e4:57\"}", a.get(P + "backend-v6-data"));
  }

  @Test
  void ipv6OnlyLeaseAndPeers() throws Exception {
    k8s.create(node("self", "fd00:10:244::/64"));
    k8s.create(node("a", "fd00:10:244:1::/64").editMetadata()
        .addToAnnotations(Map.of(P + "backend-type", "host-gw", P + "backend-v6-data", "null",
            P + "public-ipv6", "2001:db8::a", P + "kube-subnet-manager", "true"))
        .endMetadata());
    KubeSubnetManager m = manager("self", Fixtures.ipv6OnlyConfig(), KubeOptions.defaults());
    Lease lease = m.acquireLease(new LeaseAttrs(null, ip("2001:db8::1"), "host-gw", null, null));
    assertNull(lease.subnet());
    assertEquals(IpNet.parse("fd00:10:244::/64"), lease.ipv6Subnet());
    Map<String, String> a = k8s.get("self").getMetadata().getAnnotations();
    assertEquals("2001:db8::1", a.get(P + "public-ipv6"));
    assertEquals("null", a.get(P + "backend-v6-data"));
    assertFalse(a.containsKey(P + "public-ip"));
    assertFalse(a.containsKey(P + "backend-data"));

    RecordingSink sink = new RecordingSink();
    m.watchPeers(sink);
    List<LeaseEvent> first = sink.next();
    assertEquals(1, first.size(), first.toString());
    assertEquals(IpNet.parse("fd00:10:244:1::/64"), first.get(0).lease().ipv6Subnet());
    assertEquals(ip("2001:db8::a"), first.get(0).lease().attrs().publicIpv6());
  }

  @Test
  void publicIpOverwriteIsAdvertised() throws Exception {
    k8s.create(node("n1", "10.244.1.0/24")
        .editMetadata().addToAnnotations(P + "public-ip-overwrite", "198.51.100.7").endMetadata());
    Lease lease = manager("n1").acquireLease(vxlanAttrs("192.0.2.1", MAC));
    assertEquals(ip("198.51.100.7"), lease.attrs().publicIp());
    assertEquals("198.51.100.7", k8s.get("n1").getMetadata().getAnnotations().get(P + "public-ip"));
  }

  @Test
  void invalidPublicIpOverwriteNamesTheAnnotation() {
    k8s.create(node("n1", "10.244.1.0/24")
        .editMetadata().addToAnnotations(P + "public-ip-overwrite", "gateway.example").endMetadata());
    SubnetException e = assertThrows(SubnetException.class,
        () -> manager("n1").acquireLease(vxlanAttrs("192.0.2.1", MAC)));
    assertTrue(e.getMessage().contains(P + "public-ip-overwrite"), e.getMessage());
  }

  @Test
  void previousOwnAttrsReturnsStoredBackendDataFromBeforeAcquire() throws Exception {
    Map<String, String> before = vxlanPeer("192.0.2.1", MAC);
    k8s.create(node("n1", "10.244.1.0/24").editMetadata().addToAnnotations(before).endMetadata());
    KubeSubnetManager m = manager("n1");
    Optional<LeaseAttrs> prev = m.previousOwnAttrs();
    assertTrue(prev.isPresent());
    assertEquals(MAC, prev.get().backendData().get("VtepMAC").asText());
    assertEquals("vxlan", prev.get().backendType());

    m.acquireLease(vxlanAttrs("192.0.2.1", "2a:95:ed:00:00:01"));
    assertEquals(MAC, m.previousOwnAttrs().get().backendData().get("VtepMAC").asText(),
        "still the value from start-up");
  }

  @Test
  void previousOwnAttrsEmptyOnFreshNode() {
    k8s.create(node("n1", "10.244.1.0/24"));
    assertTrue(manager("n1").previousOwnAttrs().isEmpty());
  }

  @Test
  void nodePublicIpAnnotationIsExposed() throws Exception {
    k8s.create(node("n1", "10.244.1.0/24")
        .editMetadata().addToAnnotations(P + "node-public-ip", "203.0.113.5").endMetadata());
    assertEquals(Optional.of(ip("203.0.113.5")), manager("n1").storedPublicIp(false));
    assertEquals(Optional.empty(), managers.get(0).storedPublicIp(true));
  }

  @Test
  void invalidNodePublicIpIsAnError() {
    k8s.create(node("n1", "10.244.1.0/24")
        .editMetadata().addToAnnotations(P + "node-public-ip", "2001:db8::5").endMetadata());
    SubnetException e = assertThrows(SubnetException.class, () -> manager("n1").storedPublicIp(false));
    assertTrue(e.getMessage().contains(P + "node-public-ip"), e.getMessage());
  }

  @Test
  void customPrefixIsUsed() throws Exception {
    k8s.create(node("n1", "10.244.1.0/24"));
    manager("n1", Fixtures.ipv4Config(), KubeOptions.defaults().withAnnotationPrefix("example.com"))
        .acquireLease(vxlanAttrs("192.0.2.1", MAC));
    Map<String, String> a = k8s.get("n1").getMetadata().getAnnotations();
    assertEquals("true", a.get("example.com/kube-subnet-manager"));
    assertFalse(a.containsKey(P + "kube-subnet-manager"));
  }

  // ---- markNetworkReady ------------------------------------------------------------------

  @Test
  void markNetworkReadyAddsConditionAndKeepsKubeletConditions() throws Exception {
    k8s.create(node("n1", "10.244.1.0/24"));
    manager("n1").markNetworkReady();

    List<StatusMetadataDispatcher.Write> p = patches();
    assertEquals(1, p.size());
    assertTrue(p.get(0).is("PATCH", "/api/v1/nodes/n1/status"));
    assertTrue(p.get(0).contentType().startsWith("application/json-patch+json"));

    List<NodeCondition> conditions = k8s.get("n1").getStatus().getConditions();
    assertEquals(2, conditions.size(), conditions.toString());
    assertEquals("Ready", conditions.get(0).getType());
    assertEquals("True", conditions.get(0).getStatus());
    NodeCondition nu = conditions.get(1);
    assertEquals("NetworkUnavailable", nu.getType());
    assertEquals("False", nu.getStatus());
    assertEquals("FlannelIsUp", nu.getReason());
    assertEquals("Flannel is running on this node", nu.getMessage());
  }

  @Test
  void markNetworkReadyReplacesExistingConditionInPlace() throws Exception {
    k8s.create(node("n1", "10.244.1.0/24").editStatus()
        .addToConditions(0, new NodeConditionBuilder().withType("NetworkUnavailable")
            .withStatus("True").withReason("NoRouteCreated").build())
        .endStatus());
    KubeSubnetManager m = manager("n1");
    m.markNetworkReady();
    List<NodeCondition> conditions = k8s.get("n1").getStatus().getConditions();
    assertEquals(List.of("NetworkUnavailable", "Ready"),
        conditions.stream().map(NodeCondition::getType).toList());
    assertEquals("False", conditions.get(0).getStatus());
    assertEquals("FlannelIsUp", conditions.get(0).getReason());
    assertEquals("True", conditions.get(1).getStatus());

    m.markNetworkReady();
    assertEquals(1, patches().size(), "already set: no second patch");
  }

  @Test
  void markNetworkReadyRetriesWhenTheKubeletWritesInBetween() throws Exception {
    k8s.create(node("n1", "10.244.1.0/24"));
    k8s.dispatcher.raceNextStatusPatch(node -> ((com.fasterxml.jackson.databind.node.ArrayNode)
        node.get("status").get("conditions")).addObject()
        .put("type", "MemoryPressure").put("status", "False").put("reason", "KubeletHasSufficientMemory"));
    manager("n1").markNetworkReady();

    assertEquals(2, patches().size(), "first patch refused by its test op, second applied");
    assertEquals(List.of("Ready", "MemoryPressure", "NetworkUnavailable"),
        k8s.get("n1").getStatus().getConditions().stream().map(NodeCondition::getType).toList());
  }

  @Test
  void markNetworkReadySkippedWhenDisabled() throws Exception {
    k8s.create(node("n1", "10.244.1.0/24"));
    manager("n1", Fixtures.ipv4Config(), KubeOptions.defaults().withSetNodeNetworkUnavailable(false))
        .markNetworkReady();
    assertTrue(k8s.dispatcher.writes().isEmpty());
    assertEquals(1, k8s.get("n1").getStatus().getConditions().size());
  }

  // ---- watchLeases -----------------------------------------------------------------------

  private static List<LeaseEvent> awaitEvents(RecordingSink sink, Predicate<List<LeaseEvent>> done)
      throws InterruptedException {
    List<LeaseEvent> all = new ArrayList<>();
    while (!done.test(all)) {
      all.addAll(sink.next());
    }
    return all;
  }

  private void startTwoPeers() {
    k8s.create(node("self", "10.244.0.0/24")
        .editMetadata().addToAnnotations(vxlanPeer("192.0.2.10", MAC)).endMetadata());
    k8s.create(node("a", "10.244.1.0/24")
        .editMetadata().addToAnnotations(vxlanPeer("192.0.2.11", "2a:00:00:00:00:0a")).endMetadata());
    k8s.create(node("b", "10.244.2.0/24")
        .editMetadata().addToAnnotations(vxlanPeer("192.0.2.12", "2a:00:00:00:00:0b")).endMetadata());
    k8s.create(node("plain", "10.244.3.0/24")); // not running flannel
  }

  @Test
  void firstBatchListsEveryPeerButSelf() throws Exception {
    startTwoPeers();
    RecordingSink sink = new RecordingSink();
    manager("self").watchPeers(sink);
    List<LeaseEvent> first = sink.next();
    assertEquals(2, first.size(), first.toString());
    Map<String, Lease> bySubnet = new HashMap<>();
    for (LeaseEvent e : first) {
      assertInstanceOf(LeaseEvent.Added.class, e);
      bySubnet.put(e.lease().subnet().toString(), e.lease());
    }
    Lease a = bySubnet.get("10.244.1.0/24");
    assertEquals(ip("192.0.2.11"), a.attrs().publicIp());
    assertEquals("vxlan", a.attrs().backendType());
    assertEquals("2a:00:00:00:00:0a", a.attrs().backendData().get("VtepMAC").asText());
    assertNull(a.expiration());
    assertTrue(bySubnet.containsKey("10.244.2.0/24"));
  }

  @Test
  void thePeersAreListedWhileTheLeaseIsTakenAndDeliveredOnWatch() throws Exception {
    startTwoPeers();
    KubeSubnetManager m = manager("self");
    m.acquireLease(vxlanAttrs("192.0.2.10", MAC));
    // Decision 0858: acquireLease starts the informer's first list without waiting for it.
    boolean listed = false;
    for (int i = 0; i < 50 && !listed; i++) {
      var r = k8s.server.takeRequest(200, java.util.concurrent.TimeUnit.MILLISECONDS);
      listed = r != null && r.getMethod().equals("GET") && r.getPath().startsWith("/api/v1/nodes?")
          && r.getPath().contains("limit=500") && !r.getPath().contains("watch=true");
    }
    assertTrue(listed, "no paged node list after acquireLease");
    // A peer added after the list still arrives, and the first batch has the listed ones.
    k8s.create(node("c", "10.244.4.0/24")
        .editMetadata().addToAnnotations(vxlanPeer("192.0.2.13", "2a:00:00:00:00:0c")).endMetadata());
    RecordingSink sink = new RecordingSink();
    m.watchPeers(sink);
    List<LeaseEvent> all = awaitEvents(sink, l -> l.size() >= 3);
    assertEquals(java.util.Set.of("10.244.1.0/24", "10.244.2.0/24", "10.244.4.0/24"),
        all.stream().map(e -> e.lease().subnet().toString()).collect(java.util.stream.Collectors.toSet()));
  }

  @Test
  void firstBatchIsDeliveredEvenWithoutPeers() throws Exception {
    k8s.create(node("self", "10.244.0.0/24"));
    RecordingSink sink = new RecordingSink();
    manager("self").watchPeers(sink);
    assertEquals(List.of(), sink.next());
  }

  @Test
  void peerChangesAdditionsAndDeletionsAreStreamed() throws Exception {
    startTwoPeers();
    RecordingSink sink = new RecordingSink();
    manager("self").watchPeers(sink);
    sink.next();

    // backend-data change (new VTEP MAC) -> Added with the new attrs
    k8s.annotate("a", Map.of(P + "backend-data", "{\"VNI\":1,\"VtepMAC\":\"2a:00:00:00:00:aa\"}"));
    List<LeaseEvent> changed = awaitEvents(sink, l -> !l.isEmpty());
    assertEquals(1, changed.size(), changed.toString());
    assertInstanceOf(LeaseEvent.Added.class, changed.get(0));
    assertEquals("2a:00:00:00:00:aa",
        changed.get(0).lease().attrs().backendData().get("VtepMAC").asText());

    // a new peer joins
    k8s.create(node("c", "10.244.4.0/24")
        .editMetadata().addToAnnotations(vxlanPeer("192.0.2.13", "2a:00:00:00:00:0c")).endMetadata());
    List<LeaseEvent> joined = awaitEvents(sink, l -> !l.isEmpty());
    assertEquals(new LeaseEvent.Added(joined.get(0).lease()), joined.get(0));
    assertEquals(IpNet.parse("10.244.4.0/24"), joined.get(0).lease().subnet());

    // a peer is deleted -> Removed with its last known attributes
    k8s.client.nodes().withName("a").delete();
    List<LeaseEvent> gone = awaitEvents(sink, l -> !l.isEmpty());
    assertEquals(1, gone.size(), gone.toString());
    LeaseEvent.Removed removed = assertInstanceOf(LeaseEvent.Removed.class, gone.get(0));
    assertEquals(IpNet.parse("10.244.1.0/24"), removed.lease().subnet());
    assertEquals("2a:00:00:00:00:aa", removed.lease().attrs().backendData().get("VtepMAC").asText());
    assertEquals(ip("192.0.2.11"), removed.lease().attrs().publicIp());
  }

  @Test
  void podCidrChangeRemovesOldLeaseFirst() throws Exception {
    startTwoPeers();
    RecordingSink sink = new RecordingSink();
    manager("self").watchPeers(sink);
    sink.next();
    k8s.setPodCidrs("b", "10.244.9.0/24");
    List<LeaseEvent> events = awaitEvents(sink, l -> l.size() >= 2);
    assertEquals(2, events.size(), events.toString());
    assertEquals(IpNet.parse("10.244.2.0/24"),
        assertInstanceOf(LeaseEvent.Removed.class, events.get(0)).lease().subnet());
    assertEquals(IpNet.parse("10.244.9.0/24"),
        assertInstanceOf(LeaseEvent.Added.class, events.get(1)).lease().subnet());
  }

  @Test
  void statusOnlyUpdatesProduceNoEvents() throws Exception {
    startTwoPeers();
    RecordingSink sink = new RecordingSink();
    manager("self").watchPeers(sink);
    sink.next();
    // a kubelet heartbeat and an unrelated annotation
    k8s.client.nodes().withName("a").edit(n -> {
      n.getStatus().getConditions().get(0).setLastHeartbeatTime("2030-01-01T00:00:00Z");
      n.getMetadata().getAnnotations().put("node.alpha.kubernetes.io/ttl", "15");
      return n;
    });
    // then a real change, which must be the very next batch
    k8s.annotate("b", Map.of(P + "public-ip", "192.0.2.112"));
    List<LeaseEvent> next = sink.next();
    assertEquals(1, next.size(), next.toString());
    assertEquals(ip("192.0.2.112"), next.get(0).lease().attrs().publicIp());
  }

  @Test
  void ipv6AnnotationChangeIsNoticed() throws Exception {
    k8s.create(node("self", "10.244.0.0/24", "fd00:10:244::/64"));
    Map<String, String> peer = new HashMap<>(vxlanPeer("192.0.2.11", "2a:00:00:00:00:0a"));
    peer.put(P + "public-ipv6", "2001:db8::11");
    peer.put(P + "backend-v6-data", "{\"VNI\":1,\"VtepMAC\":\"2a:00:00:00:06:0a\"}");
    k8s.create(node("a", "10.244.1.0/24", "fd00:10:244:1::/64")
        .editMetadata().addToAnnotations(peer).endMetadata());
    RecordingSink sink = new RecordingSink();
    manager("self", Fixtures.dualStackConfig(), KubeOptions.defaults()).watchPeers(sink);
    List<LeaseEvent> first = sink.next();
    assertEquals(1, first.size());
    assertEquals(IpNet.parse("fd00:10:244:1::/64"), first.get(0).lease().ipv6Subnet());
    assertEquals(ip("2001:db8::11"), first.get(0).lease().attrs().publicIpv6());

    k8s.annotate("a", Map.of(P + "backend-v6-data", "{\"VNI\":1,\"VtepMAC\":\"2a:00:00:00:06:bb\"}"));
    List<LeaseEvent> changed = awaitEvents(sink, l -> !l.isEmpty());
    assertInstanceOf(LeaseEvent.Added.class, changed.get(0));
    assertEquals("2a:00:00:00:06:bb",
        changed.get(0).lease().attrs().backendV6Data().get("VtepMAC").asText());

    k8s.annotate("a", Map.of(P + "public-ipv6", "2001:db8::99"));
    changed = awaitEvents(sink, l -> !l.isEmpty());
    assertEquals(ip("2001:db8::99"), changed.get(0).lease().attrs().publicIpv6());
  }

  @Test
  void malformedPeerIsSkippedWhileGoodPeerKeepsWorking() throws Exception {
    k8s.create(node("self", "10.244.0.0/24"));
    Map<String, String> bad = new HashMap<>(vxlanPeer("192.0.2.11", "2a:00:00:00:00:0a"));
    bad.put(P + "backend-data", "{\"VNI\":1,\"VtepMAC\":");
    k8s.create(node("bad", "10.244.1.0/24").editMetadata().addToAnnotations(bad).endMetadata());
    k8s.create(node("good", "10.244.2.0/24")
        .editMetadata().addToAnnotations(vxlanPeer("192.0.2.12", "2a:00:00:00:00:0b")).endMetadata());
    RecordingSink sink = new RecordingSink();
    KubeSubnetManager m = manager("self");
    m.watchPeers(sink);
    List<LeaseEvent> first = sink.next();
    assertEquals(1, first.size(), first.toString());
    assertEquals(IpNet.parse("10.244.2.0/24"), first.get(0).lease().subnet());
    assertEquals(1, m.rejectedPeers());

    // IPv6 in the IPv4 field: also rejected
    k8s.annotate("bad", Map.of(P + "backend-data", "{\"VNI\":1,\"VtepMAC\":\"2a:00:00:00:00:0a\"}",
        P + "public-ip", "2001:db8::1"));
    // the good peer keeps being followed
    k8s.annotate("good", Map.of(P + "public-ip", "192.0.2.120"));
    List<LeaseEvent> next = awaitEvents(sink, l -> !l.isEmpty());
    assertEquals(1, next.size(), next.toString());
    assertEquals(ip("192.0.2.120"), next.get(0).lease().attrs().publicIp());
    assertEquals(2, m.rejectedPeers());

    // once fixed, the node becomes a peer
    k8s.annotate("bad", Map.of(P + "public-ip", "192.0.2.11"));
    List<LeaseEvent> fixed = awaitEvents(sink, l -> !l.isEmpty());
    assertEquals(IpNet.parse("10.244.1.0/24"),
        assertInstanceOf(LeaseEvent.Added.class, fixed.get(0)).lease().subnet());
  }

  @Test
  void tinyEventQueueStillDeliversEveryPeer() throws Exception {
    k8s.create(node("self", "10.244.0.0/24"));
    RecordingSink sink = new RecordingSink();
    manager("self", Fixtures.ipv4Config(), KubeOptions.defaults().withEventQueueDepth(1))
        .watchPeers(sink);
    assertEquals(List.of(), sink.next());
    for (int i = 1; i <= 30; i++) {
      k8s.create(node("p" + i, "10.244." + i + ".0/24").editMetadata()
          .addToAnnotations(vxlanPeer("192.0.2." + i, "2a:00:00:00:00:01")).endMetadata());
    }
    List<LeaseEvent> all = awaitEvents(sink, l -> l.size() >= 30);
    assertEquals(30, all.stream().filter(e -> e instanceof LeaseEvent.Added)
        .map(e -> e.lease().subnet()).distinct().count());
  }

  @Test
  void forbiddenNodeListFailsStartInsteadOfWaiting() {
    k8s.dispatcher.forbidNodeList();
    KubeSubnetManager m = manager("self", Fixtures.ipv4Config(),
        KubeOptions.defaults().withCacheSyncTimeout(Duration.ofSeconds(20)));
    long t0 = System.nanoTime();
    SubnetException e = assertThrows(SubnetException.class, () -> m.watchPeers(new RecordingSink()));
    assertTrue(e.getMessage().contains("forbidden"), e.getMessage());
    assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(15).toNanos(), "failed fast");
  }

  @Test
  void closedWatchStopsDelivery() throws Exception {
    startTwoPeers();
    RecordingSink sink = new RecordingSink();
    KubeSubnetManager m = manager("self");
    SubnetManager.Watch w = m.watchPeers(sink);
    sink.next();
    w.close();
    k8s.annotate("a", Map.of(P + "public-ip", "192.0.2.99"));
    assertNull(sink.poll(1000));
  }

  @Test
  void renewIsANoOp() throws Exception {
    k8s.create(node("n1", "10.244.1.0/24"));
    KubeSubnetManager m = manager("n1");
    Lease lease = m.acquireLease(vxlanAttrs("192.0.2.1", MAC));
    k8s.dispatcher.clearWrites();
    assertEquals(lease, m.renewLease(lease));
    assertTrue(k8s.dispatcher.writes().isEmpty());
  }

  // ---- node name -------------------------------------------------------------------------

  @Test
  void nodeNameFromNodeNameVariable() throws Exception {
    assertEquals("n7", NodeNames.resolve(k8s.client, Map.of("NODE_NAME", "n7",
        "POD_NAME", "ignored", "POD_NAMESPACE", "kube-flannel")));
  }

  @Test
  void nodeNameFromPodSpec() throws Exception {
    k8s.client.pods().inNamespace("kube-flannel").resource(new io.fabric8.kubernetes.api.model.PodBuilder()
        .withNewMetadata().withName("kube-flannel-ds-x").withNamespace("kube-flannel").endMetadata()
        .withNewSpec().withNodeName("worker-3").endSpec().build()).create();
    // flanneld's own client (no class-path scan of kinds, decision 0838) must find the pod too.
    try (io.fabric8.kubernetes.client.KubernetesClient own = KubeClients.create(
        "http://" + k8s.server.getHostName() + ":" + k8s.server.getPort(), "")) {
      KubeSubnetManager m = KubeSubnetManager.create(own, Fixtures.ipv4Config(),
          Map.of("POD_NAME", "kube-flannel-ds-x", "POD_NAMESPACE", "kube-flannel"),
          KubeOptions.defaults());
      managers.add(m);
      assertEquals("worker-3", m.nodeName());
    }
  }

  @Test
  void nodeNameFromAPodWithoutNodeNameIsAClearError() throws Exception {
    k8s.client.pods().inNamespace("kube-flannel").resource(new io.fabric8.kubernetes.api.model.PodBuilder()
        .withNewMetadata().withName("unscheduled").withNamespace("kube-flannel").endMetadata()
        .withNewSpec().endSpec().build()).create();
    SubnetException e;
    try (io.fabric8.kubernetes.client.KubernetesClient own = KubeClients.create(
        "http://" + k8s.server.getHostName() + ":" + k8s.server.getPort(), "")) {
      e = assertThrows(SubnetException.class, () -> NodeNames.resolve(own,
          Map.of("POD_NAME", "unscheduled", "POD_NAMESPACE", "kube-flannel")));
    }
    assertTrue(e.getMessage().contains("kube-flannel/unscheduled has no spec.nodeName"), e.getMessage());
  }

  @Test
  void nodeNameMissingEverywhereIsAClearError() {
    SubnetException e = assertThrows(SubnetException.class,
        () -> NodeNames.resolve(k8s.client, Map.of("POD_NAME", "p")));
    assertTrue(e.getMessage().contains("NODE_NAME"), e.getMessage());
    assertTrue(e.getMessage().contains("POD_NAMESPACE"), e.getMessage());
  }

  @Test
  void nodeNameFromMissingPodIsAClearError() {
    SubnetException e = assertThrows(SubnetException.class,
        () -> NodeNames.resolve(k8s.client, Map.of("POD_NAME", "p", "POD_NAMESPACE", "ns")));
    assertTrue(e.getMessage().contains("ns/p"), e.getMessage());
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  // ---- duplicate and own subnets (decision 0951) -----------------------------------------

  @Test
  void aSecondNodeWithTheSameSubnetIsRefusedAndItsDeletionTouchesNothing() throws Exception {
    k8s.create(node("self", "10.244.0.0/24"));
    k8s.create(node("a", "10.244.1.0/24")
        .editMetadata().addToAnnotations(vxlanPeer("192.0.2.11", "2a:00:00:00:00:0a")).endMetadata());
    KubeSubnetManager m = manager("self");
    RecordingSink sink = new RecordingSink();
    m.watchPeers(sink);
    assertEquals(1, sink.next().size());

    // another Node claims a's subnet: refused and counted, a keeps it
    k8s.create(node("evil", "10.244.1.0/24")
        .editMetadata().addToAnnotations(vxlanPeer("192.0.2.66", "2a:00:00:00:00:66")).endMetadata());
    awaitCount(m, 1);
    assertNoPeerChange(sink, "the duplicate changes no peer");

    // deleting the duplicate withdraws nothing of a's; a marker peer shows the watch went on
    k8s.client.nodes().withName("evil").delete();
    k8s.create(node("b", "10.244.2.0/24")
        .editMetadata().addToAnnotations(vxlanPeer("192.0.2.12", "2a:00:00:00:00:0b")).endMetadata());
    List<LeaseEvent> next = awaitEvents(sink, l -> !l.isEmpty());
    assertEquals(1, next.size(), next.toString());
    assertInstanceOf(LeaseEvent.Added.class, next.get(0));
    assertEquals("10.244.2.0/24", next.get(0).lease().subnet().toString());
  }

  @Test
  void aNodeClaimingOurOwnSubnetIsRefusedAndCounted() throws Exception {
    k8s.create(node("self", "10.244.0.0/24")
        .editMetadata().addToAnnotations(vxlanPeer("192.0.2.10", MAC)).endMetadata());
    KubeSubnetManager m = manager("self");
    m.acquireLease(vxlanAttrs("192.0.2.10", MAC));
    RecordingSink sink = new RecordingSink();
    m.watchPeers(sink);
    assertEquals(List.of(), sink.next());
    k8s.create(node("evil", "10.244.0.0/24")
        .editMetadata().addToAnnotations(vxlanPeer("192.0.2.66", "2a:00:00:00:00:66")).endMetadata());
    awaitCount(m, 1);
    assertNoPeerChange(sink, "never a peer");
  }

  /** Nothing, or drains that report no change, for half a second. */
  private static void assertNoPeerChange(RecordingSink sink, String why) throws InterruptedException {
    for (List<LeaseEvent> b = sink.poll(500); b != null; b = sink.poll(500)) {
      assertEquals(List.of(), b, why);
    }
  }

  private static void awaitCount(KubeSubnetManager m, long n) throws InterruptedException {
    for (int i = 0; i < 200 && m.rejectedPeers() < n; i++) {
      Thread.sleep(50);
    }
    assertEquals(n, m.rejectedPeers());
  }
}
