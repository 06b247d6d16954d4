package io.jflannel.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jflannel.lab.Exec;
import io.jflannel.lab.LabBackend;
import io.jflannel.lab.LabCluster;
import io.jflannel.lab.LabJanitor;
import io.jflannel.lab.LabNode;
import io.jflannel.lab.LabSpec;
import io.jflannel.lab.LabStoreKind;
import io.jflannel.lab.LabTestSupport;
import io.jflannel.lab.SubnetEnv;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The daemon process as operators see it: health and readiness endpoints, metrics that show
 * the peers, SIGTERM exiting 0 with the dataplane left in place, and a restart that keeps
 * the subnet and the VTEP MAC. Two real vxlan nodes on a real store.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
abstract class DaemonLifecycleSuite {
  static final Duration CONVERGE = Duration.ofSeconds(30);
  static final int HEALTH_PORT = 8081;

  LabCluster lab;

  abstract LabStoreKind store();

  @BeforeAll
  void up() {
    LabTestSupport.requirePrerequisites(store(), true);
    LabJanitor.cleanOrphans(LabSpec.STATE_DIR, "jfl-e2e-");
    LabSpec base = LabTestSupport.spec(LabTestSupport.uniqueName("life-" + store()), 2,
        LabBackend.VXLAN, store());
    LabSpec spec = new LabSpec(base.name(), base.nodes(), 1, base.backend(), base.store(),
        base.network(), base.flanneld(), base.cniPath(), base.javaClasspath(), base.stateDir(),
        List.of("--healthz-ip", "127.0.0.1", "--healthz-port", String.valueOf(HEALTH_PORT),
            "--ip-blackhole-route"));
    lab = LabCluster.up(spec, System.out);
    lab.awaitConverged(CONVERGE);
  }

  @AfterAll
  void down() {
    if (lab != null) {
      lab.close();
    }
  }

  /** Status code and body of a GET inside the node's namespace. */
  record Http(int status, String body) {}

  Http get(LabNode node, String path) {
    Exec.Result r = Exec.runIn(node.netns(), "curl", "-s", "-m", "5", "-w", "\n%{http_code}",
        "http://127.0.0.1:" + HEALTH_PORT + path);
    String out = r.stdout();
    int nl = out.lastIndexOf('\n');
    assertTrue(nl >= 0, "no answer from " + path + " on " + node.name() + ": " + r.stderr());
    return new Http(Integer.parseInt(out.substring(nl + 1).strip()), out.substring(0, nl));
  }

  String vtepMac(LabNode node) {
    String out = Exec.runIn(node.netns(), "ip", "-o", "link", "show", "flannel.1").check().stdout();
    var m = Pattern.compile("link/ether ([0-9a-f:]{17})").matcher(out);
    assertTrue(m.find(), out);
    return m.group(1);
  }

  @Test
  @Order(1)
  void healthAndReadiness() {
    LabNode n1 = lab.node(1);
    assertEquals(new Http(200, "flanneld is running"), get(n1, "/healthz"));
    assertEquals(new Http(200, "flanneld is ready"), get(n1, "/readyz"));
    assertEquals(404, get(n1, "/nope").status());
  }

  @Test
  @Order(2)
  void metricsShowThePeer() {
    Http m = get(lab.node(1), "/metrics");
    assertEquals(200, m.status());
    assertTrue(Pattern.compile("(?m)^flannel_peers\\{[^}]*backend=\"vxlan\"[^}]*\\} 1(\\.0)?$")
        .matcher(m.body()).find(), "flannel_peers should be 1:\n" + m.body());
    assertTrue(m.body().contains("flannel_build_info"), m.body());
  }

  @Test
  @Order(2)
  void blackholeRouteForTheOwnSubnet() {
    LabNode n1 = lab.node(1);
    String out = Exec.runIn(n1.netns(), "ip", "route", "show", "type", "blackhole").check().stdout();
    assertTrue(out.contains("blackhole " + lab.subnet(n1)), "no blackhole route for " + lab.subnet(n1) + ":\n" + out);
  }

  @Test
  @Order(3)
  void sigtermExitsZeroLeavesTheDataplaneAndARestartKeepsSubnetAndMac() {
    LabNode n1 = lab.node(1);
    LabNode n2 = lab.node(2);
    SubnetEnv before = lab.subnetEnv(n1);
    String mac = vtepMac(n1);
    String peerSubnet = lab.subnet(n2);

    assertEquals(0, lab.daemon(n1).stop(), "flanneld exit status after SIGTERM");

    // Everything stays while the daemon is gone: device, peer route, subnet.env, rules.
    assertEquals(mac, vtepMac(n1));
    String routes = Exec.runIn(n1.netns(), "ip", "route", "show", peerSubnet).check().stdout();
    assertTrue(routes.contains("dev flannel.1") && routes.contains("onlink"), routes);
    assertEquals(before, lab.subnetEnv(n1));
    String nat = Exec.runIn(n1.netns(), "iptables-save", "-t", "nat").check().stdout();
    assertTrue(nat.contains("-A POSTROUTING -m comment --comment \"flanneld masq\" -j FLANNEL-POSTRTG"), nat);

    lab.startDaemon(n1);
    lab.awaitConverged(CONVERGE);
    assertEquals(before, lab.subnetEnv(n1), "subnet.env after restart");
    assertEquals(mac, vtepMac(n1), "VTEP MAC after restart");
    assertEquals(new Http(200, "flanneld is ready"), get(n1, "/readyz"));
  }
}
