package io.jflannel.subnet.kube;

import static io.jflannel.subnet.kube.Fixtures.ip;
import static io.jflannel.subnet.kube.Fixtures.vxlanAttrs;
import static io.jflannel.subnet.kube.MockCluster.node;
import static io.jflannel.subnet.kube.MockCluster.vxlanPeer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.jflannel.subnet.IpNet;
import io.jflannel.subnet.LeaseEvent;
import io.jflannel.subnet.SubnetException;
import io.jflannel.subnet.kube.Fixtures.RecordingSink;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.LoggerFactory;

/**
 * A podCIDR spelled so that a lenient parser reads it as another node's subnet
 * ({@code 012.244.2.0/24}: 12.244.2.0/24 to the API server, 10.244.2.0/24 to inet_aton) must
 * never be taken for that subnet (docs/robustness.md K-PODCIDR-ALIAS-*, decision 0900). Against
 * the fabric8 API mock, next to the real holder of 10.244.2.0/24.
 */
class KubePodCidrAliasTest {
  private static final String REAL_MAC = "2a:00:00:00:00:02";
  private MockCluster k8s;
  private KubeSubnetManager manager;
  private ListAppender<ILoggingEvent> logs;

  @BeforeEach
  void start() {
    k8s = new MockCluster();
    logs = new ListAppender<>();
    logs.start();
    ((Logger) LoggerFactory.getLogger(PeerTracker.class)).addAppender(logs);
  }

  @AfterEach
  void stop() {
    ((Logger) LoggerFactory.getLogger(PeerTracker.class)).detachAppender(logs);
    if (manager != null) {
      manager.close();
    }
    k8s.close();
  }

  private KubeSubnetManager manager(String self) {
    manager = new KubeSubnetManager(k8s.client, Fixtures.ipv4Config(), self,
        KubeOptions.defaults().withPodCidrWait(Duration.ofMillis(200)));
    return manager;
  }

  private static List<LeaseEvent> until(RecordingSink sink, String subnet) throws InterruptedException {
    List<LeaseEvent> all = new ArrayList<>();
    while (all.stream().noneMatch(e -> e.lease().subnet().toString().equals(subnet))) {
      all.addAll(sink.next());
    }
    return all;
  }

  /**
   * {@code 012.244.2.0/24} is the octal spelling of the real peer's 10.244.2.0/24; a host-bits
   * spelling, surrounding whitespace and an IPv4-mapped IPv6 network name it as well.
   */
  @ParameterizedTest
  @ValueSource(strings = {"012.244.2.0/24", "10.244.02.0/24", "10.244.2.7/24", " 10.244.2.0/24", "10.244.2.0/24 ",
      "::ffff:10.244.2.0/24", "10.244.2.0/024"})
  void aliasOfAPeersPodCidrIsRefusedAndNeverTakesItsPlace(String alias) throws Exception {
    k8s.create(node("self", "10.244.0.0/24"));
    k8s.create(node("real", "10.244.2.0/24")
        .editMetadata().addToAnnotations(vxlanPeer("192.0.2.2", REAL_MAC)).endMetadata());
    k8s.create(node("intruder", alias)
        .editMetadata().addToAnnotations(vxlanPeer("192.0.2.66", "2a:00:00:00:00:66")).endMetadata());
    RecordingSink sink = new RecordingSink();
    KubeSubnetManager m = manager("self");
    m.watchPeers(sink);

    List<LeaseEvent> first = sink.next();
    assertEquals(1, first.size(), first.toString());
    LeaseEvent.Added real = (LeaseEvent.Added) first.get(0);
    assertEquals(IpNet.parse("10.244.2.0/24"), real.lease().subnet());
    assertEquals(ip("192.0.2.2"), real.lease().attrs().publicIp(), "the real peer's address");
    assertEquals(1, m.malformedPeers());
    assertTrue(logs.list.stream().anyMatch(e -> e.getLevel() == Level.WARN
        && e.getFormattedMessage().contains("\"intruder\"") && e.getFormattedMessage().contains("spec.podCIDRs")),
        logs.list.toString());

    // Deleting the intruder withdraws nothing of the real peer: the next events are the marker's.
    k8s.client.nodes().withName("intruder").delete();
    k8s.create(node("marker", "10.244.9.0/24")
        .editMetadata().addToAnnotations(vxlanPeer("192.0.2.9", "2a:00:00:00:00:09")).endMetadata());
    List<LeaseEvent> after = until(sink, "10.244.9.0/24");
    assertEquals(List.of("10.244.9.0/24"), after.stream().map(e -> e.lease().subnet().toString()).toList(),
        after.toString());
    assertEquals(1, m.malformedPeers(), "the deletion is not counted again");
  }

  /** Our own Node with an alias podCIDR: start-up fails with one line naming node, value and problem. */
  @org.junit.jupiter.api.Test
  void ownAliasPodCidrIsAClearFatalError() {
    k8s.create(node("self", "012.244.0.0/24"));
    SubnetException e = assertThrows(SubnetException.class,
        () -> manager("self").acquireLease(vxlanAttrs("192.0.2.1", "2a:00:00:00:00:01")));
    assertEquals("node \"self\" has an invalid pod cidr: \"012.244.0.0/24\" is not an IPv4 address in canonical"
        + " form: \"012\" has a leading zero (octal to some readers, decimal to others)", e.getMessage());
  }
}
