package io.jflannel.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.jflannel.daemon.testing.CuttableRelay;
import io.jflannel.subnet.NetworkConfigParser;
import io.jflannel.subnet.PeerListener;
import io.jflannel.subnet.PeerSet;
import io.jflannel.subnet.kube.KubeClients;
import io.jflannel.subnet.kube.KubeOptions;
import io.jflannel.subnet.kube.KubeSubnetManager;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Issue 18 item 11d: a node watch closed abruptly (the TCP connection ends without a WebSocket
 * close frame, as when the API server or a middlebox dies) made fabric8's WebSocket wrapper
 * print two WARN lines and a stack trace each time. With the daemon's logging set-up
 * ({@link LogSetup}, which configures this test JVM too) a lost watch is at most one line, and
 * no stack trace.
 */
class KubeWatchLossLogTest {

  @Test
  void anAbruptlyClosedWatchIsAtMostOneLineAndNoStackTrace() throws Exception {
    LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
    Logger root = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    assertNotNull(root.getAppender("STDERR"), "this JVM logs through LogSetup");
    ListAppender<ILoggingEvent> seen = new ListAppender<>();
    seen.start();

    KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
        new KubernetesCrudDispatcher(), false);
    server.init();
    KubernetesClient admin = server.createClient();
    try (CuttableRelay relay = new CuttableRelay(server.getPort())) {
      admin.nodes().resource(new NodeBuilder().withNewMetadata().withName("self").endMetadata()
          .withNewSpec().withPodCIDR("10.244.1.0/24").withPodCIDRs("10.244.1.0/24").endSpec().build()).create();
      KubernetesClient client = KubeClients.create("http://127.0.0.1:" + relay.port(), "");
      KubeSubnetManager m = new KubeSubnetManager(client,
          NetworkConfigParser.parse("{\"Network\":\"10.244.0.0/16\"}"), "self", KubeOptions.defaults());
      LinkedBlockingQueue<Integer> drains = new LinkedBlockingQueue<>();
      try {
        m.watchPeers(new PeerListener() {
          @Override
          public void peersChanged(PeerSet peers) {
            drains.add(peers.drain().size());
          }
        });
        assertNotNull(drains.poll(30, TimeUnit.SECONDS), "first drain");
        Thread.sleep(500); // the watch is open

        root.addAppender(seen);
        int before = relay.accepted();
        relay.cut();
        // fabric8 reconnects the watch (about 1 s later); give the watchdog time to see it back
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (relay.accepted() == before && System.nanoTime() < end) {
          Thread.sleep(50);
        }
        assertTrue(relay.accepted() > before, "the watch did not reconnect");
        Thread.sleep(3000);
      } finally {
        root.detachAppender(seen);
        m.close();
        client.close();
      }
    } finally {
      admin.close();
      server.destroy();
    }
    List<String> printed = seen.list.stream()
        .map(e -> e.getLevel() + " " + e.getLoggerName() + " - " + e.getFormattedMessage()
            + (e.getThrowableProxy() == null ? "" : " [stack trace]"))
        .toList();
    assertEquals(List.of(), printed.stream().filter(l -> l.contains("[stack trace]")).toList(), printed.toString());
    assertEquals(List.of(), seen.list.stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN))
        .filter(e -> e.getLoggerName().startsWith("io.fabric8")).map(ILoggingEvent::getFormattedMessage).toList());
    long aboutTheWatch = printed.stream().filter(l -> l.contains("watch")).count();
    assertTrue(aboutTheWatch <= 1, "one line per lost watch at most: " + printed);
  }
}
