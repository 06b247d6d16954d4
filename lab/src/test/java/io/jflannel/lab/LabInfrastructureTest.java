package io.jflannel.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lab's building blocks on the real kernel, without a daemon: underlay, store processes
 * in the switch namespace, CNI attachment, and cleanup after a crash. Needs root.
 */
class LabInfrastructureTest {
  @TempDir
  Path stateDir;
  private LabSpec spec;
  private LabState state;
  private Path workDir;

  @BeforeEach
  void setUp() throws Exception {
    LabTestSupport.requirePrerequisites(LabStoreKind.ETCD, false);
    spec = LabTestSupport.spec(LabTestSupport.uniqueName("infra"), 2, LabBackend.VXLAN,
        LabStoreKind.ETCD).withStateDir(stateDir);
    workDir = Files.createTempDirectory(LabJanitor.WORK_DIR_PREFIX + spec.name() + "-");
    state = LabState.create(stateDir, spec.name(), workDir);
  }

  @AfterEach
  void tearDown() {
    if (spec != null) {
      LabJanitor.clean(stateDir, spec.name());
      assertNoNamespacesLeft();
    }
  }

  private void assertNoNamespacesLeft() {
    List<String> left = LabJanitor.listNamespaces().stream()
        .filter(n -> n.startsWith(spec.namespacePrefix())).toList();
    assertEquals(List.of(), left, "namespaces left behind");
  }

  private LabNode node(Underlay u, int index) throws Exception {
    Path dir = Files.createDirectories(workDir.resolve("n" + index));
    return u.addNode(index, dir);
  }

  @Test
  void underlayConnectsNodesAndTeardownLeavesNothing() throws Exception {
    Underlay u = new Underlay(spec, state);
    u.create();
    LabNode n1 = node(u, 1);
    LabNode n2 = node(u, 2);
    assertTrue(Exec.runIn(n1.netns(), "ping", "-c1", "-W2", n2.underlayIp()).ok(), "n1 -> n2");
    assertTrue(Exec.runIn(n2.netns(), "ping", "-c1", "-W2", Underlay.SWITCH_IP).ok(), "n2 -> switch");
    assertEquals("1", Exec.runIn(n1.netns(), "cat", "/proc/sys/net/ipv4/ip_forward").check()
        .stdout().strip());
    assertEquals("0", Exec.runIn(spec.switchNetns(), "cat", "/proc/sys/net/ipv4/ip_forward")
        .check().stdout().strip(), "the switch only bridges");
    assertTrue(Exec.check("ip", "-n", n1.netns(), "route", "show", "default").stdout()
        .contains("via " + Underlay.SWITCH_IP));
    // Removing a node must not change the switch's MAC (nodes cache it).
    u.removeNode(n1);
    assertTrue(Exec.check("ip", "-n", spec.switchNetns(), "link", "show", Underlay.BRIDGE)
        .stdout().contains(Underlay.SWITCH_MAC));
    assertTrue(Exec.runIn(n2.netns(), "ping", "-c1", "-W2", Underlay.SWITCH_IP).ok(),
        "n2 -> switch after n1 left");
    n1 = node(u, 1);
    assertEquals(List.of(spec.switchNetns(), n2.netns(), n1.netns()),
        LabState.load(state.file()).orElseThrow().namespaces());

    List<String> done = LabJanitor.clean(stateDir, spec.name());
    assertTrue(done.contains("deleted namespace " + n1.netns()), done.toString());
    assertNoNamespacesLeft();
    assertFalse(Files.exists(state.file()), "state file removed");
    assertFalse(Files.exists(workDir), "work dir removed");
  }

  @Test
  void etcdInTheSwitchIsReachableFromANode() throws Exception {
    Underlay u = new Underlay(spec, state);
    u.create();
    LabNode n1 = node(u, 1);
    EtcdStore etcd = new EtcdStore(spec, state, workDir);
    etcd.start();
    try {
      Exec.Result r = Exec.run(Exec.inNetns(n1.netns(), "etcdctl", "--endpoints",
          EtcdStore.clientUrl(), "get", "--print-value-only", EtcdStore.PREFIX + "/config"),
          null, Map.of("ETCDCTL_API", "3"), Duration.ofSeconds(15)).check();
      assertEquals(spec.netConfJson(), r.stdout().strip());
      etcd.etcdctl("put", EtcdStore.leaseKey("10.244.7.0/24"), "{}").check();
      assertEquals(List.of("10.244.7.0/24"), etcd.subnets());
      etcd.nodeLeaving(n1, "10.244.7.0/24");
      assertEquals(List.of(), etcd.subnets());
    } finally {
      etcd.close();
    }
  }

  @Test
  void kubeApiMockInTheSwitchServesNodesToANode() throws Exception {
    spec = LabTestSupport.spec(spec.name(), 2, LabBackend.VXLAN, LabStoreKind.KUBE)
        .withStateDir(stateDir);
    Underlay u = new Underlay(spec, state);
    u.create();
    LabNode n1 = node(u, 1);
    KubeStore kube = new KubeStore(spec, state, workDir);
    kube.start();
    try {
      kube.nodeJoining(n1);
      // A plain HTTP GET from inside the node namespace, over the underlay (bash's /dev/tcp
      // keeps the test free of an HTTP client binary).
      String get = "exec 3<>/dev/tcp/" + Underlay.SWITCH_IP + "/" + KubeStore.PORT
          + "; printf 'GET /api/v1/nodes HTTP/1.1\\r\\nHost: api\\r\\nConnection: close\\r\\n\\r\\n' >&3;"
          + " timeout 10 cat <&3";
      String reply = Exec.runIn(n1.netns(), "bash", "-c", get).check().stdout();
      assertTrue(reply.startsWith("HTTP/1.1 200"), reply);
      assertTrue(reply.contains("\"name\":\"n1\""), reply);
      assertTrue(reply.contains("\"podCIDR\":\"10.244.1.0/24\""), reply);
      assertEquals(List.of("10.244.1.0/24"), kube.subnets());
      assertEquals("192.0.2.1", kube.node("n1").at("/status/addresses/0/address").asText());
      kube.nodeLeaving(n1, "10.244.1.0/24");
      assertEquals(List.of(), kube.subnets());
      assertTrue(Files.readString(workDir.resolve("net-conf.json")).contains("vxlan"));
    } finally {
      kube.close();
    }
  }

  @Test
  void cniAttachesPodsThatReachEachOtherThroughCni0() throws Exception {
    Underlay u = new Underlay(spec, state);
    u.create();
    LabNode n1 = node(u, 1);
    Files.createDirectories(n1.subnetFile().getParent());
    Files.writeString(n1.subnetFile(), """
        FLANNEL_NETWORK=10.244.0.0/16
        FLANNEL_SUBNET=10.244.1.1/24
        FLANNEL_MTU=1450
        FLANNEL_IPMASQ=true
        """);
    SubnetEnv env = SubnetEnv.read(n1.subnetFile());
    CniAttacher cni = new CniAttacher(spec.cniPath(), Files.createDirectories(workDir.resolve("ipam")));
    u.addNamespace(spec.podNetns(1, 1));
    u.addNamespace(spec.podNetns(1, 2));
    Pod p1 = cni.attach(n1, "n1-p1", spec.podNetns(1, 1), env);
    Pod p2 = cni.attach(n1, "n1-p2", spec.podNetns(1, 2), env);
    assertTrue(p1.ip().startsWith("10.244.1."), p1.ip());
    assertFalse(p1.ip().equals(p2.ip()));
    String cni0 = Exec.check("ip", "-n", n1.netns(), "addr", "show", "cni0").stdout();
    assertTrue(cni0.contains("10.244.1.1/24"), cni0);
    assertTrue(cni0.contains("mtu 1450"), cni0);
    String route = Exec.check("ip", "-n", p1.netns(), "route", "show", "10.244.0.0/16").stdout();
    assertTrue(route.contains("via 10.244.1.1"), route);
    ReachabilityMatrix m = Reachability.matrix(List.of(p1, p2), 3);
    assertTrue(m.allReachable(), m.render());
    assertTrue(Reachability.reaches(p1, new Pod("gw", n1.netns(), 1, "10.244.1.1"), 2));
  }

  @Test
  void aCrashedLabIsCleanedUpByTheNextRun() throws Exception {
    Underlay u = new Underlay(spec, state);
    u.create();
    LabNode n1 = node(u, 1);
    // A process inside the lab, like a daemon that outlived its crashed lab.
    Process sleeper = new ProcessBuilder(Exec.inNetns(n1.netns(), "sleep", "600")).start();
    state.addProcess(TrackedProcess.of(sleeper.toHandle(), "sleeper"));
    // A namespace the state file does not know (crash between create and record).
    Exec.check("ip", "netns", "add", spec.namespacePrefix() + "stray");
    // The owner "crashed": rewrite the state with an owner PID that no longer exists.
    Process gone = new ProcessBuilder("true").start();
    gone.waitFor();
    String json = Files.readString(state.file()).replaceFirst("\"ownerPid\" : \\d+",
        "\"ownerPid\" : " + gone.pid());
    Files.writeString(state.file(), json);
    // A second lab owned by a live process must survive the orphan sweep.
    String liveName = spec.name() + "-live";
    Path liveWork = Files.createTempDirectory(LabJanitor.WORK_DIR_PREFIX + liveName + "-");
    LabState live = LabState.create(stateDir, liveName, liveWork);
    try {
      List<String> done = LabJanitor.cleanOrphans(stateDir, "jfl-e2e-");
      assertTrue(done.stream().anyMatch(l -> l.startsWith("stopped sleeper")), done.toString());
      assertTrue(sleeper.waitFor(10, java.util.concurrent.TimeUnit.SECONDS), "sleeper stopped");
      assertNoNamespacesLeft();
      assertFalse(Files.exists(state.file()));
      assertFalse(Files.exists(workDir));
      assertTrue(Files.exists(live.file()), "a live lab is not an orphan");
    } finally {
      LabJanitor.clean(stateDir, liveName);
    }
  }
}
