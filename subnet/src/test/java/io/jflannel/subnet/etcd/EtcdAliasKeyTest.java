package io.jflannel.subnet.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.jflannel.subnet.Lease;
import io.jflannel.subnet.LeaseAttrs;
import io.jflannel.subnet.LeaseEvent;
import io.jflannel.subnet.PeerListener;
import io.jflannel.subnet.PeerSet;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.LoggerFactory;

/**
 * Alias keys against a real etcd (docs/robustness.md E-KEY-ALIAS-*, decision 0900): a second
 * spelling of a real peer's or of our own lease key. Written next to the real key it must not
 * change the peers the watch delivers nor stand in for the real peer; deleted, it must withdraw
 * nothing and must not make the manager report our own lease lost.
 */
class EtcdAliasKeyTest {
  private static final String CONFIG = "{\"Network\":\"10.244.0.0/16\",\"SubnetMin\":\"10.244.100.0\","
      + "\"SubnetMax\":\"10.244.200.0\",\"Backend\":{\"Type\":\"vxlan\"}}";
  private static final String REAL = value("192.0.2.2", "2a:00:00:00:00:02");
  private static final String INTRUDER = value("192.0.2.66", "2a:00:00:00:00:66");
  private static int prefixes;
  private static EtcdServer etcd;
  private static Client client;

  private String prefix;
  private EtcdSubnetManager manager;
  private ListAppender<ILoggingEvent> logs;

  private static String value(String ip, String mac) {
    return "{\"PublicIP\":\"" + ip + "\",\"PublicIPv6\":null,\"BackendType\":\"vxlan\","
        + "\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"" + mac + "\"}}";
  }

  @BeforeAll
  static void startEtcd() throws Exception {
    EtcdServer.requireEtcd();
    etcd = EtcdServer.start();
    client = Client.builder().endpoints(etcd.endpoint()).build();
  }

  @AfterAll
  static void stopEtcd() throws Exception {
    if (client != null) {
      client.close();
    }
    if (etcd != null) {
      etcd.close();
    }
  }

  @BeforeEach
  void fresh() throws Exception {
    prefix = "/jfl-alias/" + ++prefixes;
    put("/config", CONFIG);
    manager = new EtcdSubnetManager(EtcdOptions.of(List.of(etcd.endpoint())).withPrefix(prefix)
        .withOpTimeout(Duration.ofSeconds(5)), null);
    logs = new ListAppender<>();
    logs.start();
    ((Logger) LoggerFactory.getLogger("io.jflannel.subnet.etcd")).addAppender(logs);
  }

  @AfterEach
  void close() {
    ((Logger) LoggerFactory.getLogger("io.jflannel.subnet.etcd")).detachAppender(logs);
    manager.close();
  }

  private void put(String key, String value) throws Exception {
    client.getKVClient().put(bytes(prefix + key), ByteSequence.from(value, StandardCharsets.UTF_8))
        .get(5, TimeUnit.SECONDS);
  }

  private void delete(String key) throws Exception {
    long deleted = client.getKVClient().delete(bytes(prefix + key)).get(5, TimeUnit.SECONDS).getDeleted();
    assertEquals(1, deleted, "deleted " + key);
  }

  private static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }

  private static LeaseAttrs own() throws Exception {
    return new LeaseAttrs(InetAddress.getByName("192.0.2.1"), null, "vxlan", null, null);
  }

  static final class Sink implements PeerListener {
    final BlockingQueue<List<LeaseEvent>> batches = new LinkedBlockingQueue<>();
    final BlockingQueue<Lease> lost = new LinkedBlockingQueue<>();

    @Override
    public void peersChanged(PeerSet peers) {
      List<LeaseEvent> events = peers.drain().events();
      batches.add(events);
    }

    @Override
    public void ownLeaseLost(Lease lease) {
      lost.add(lease);
    }

    List<LeaseEvent> next() throws InterruptedException {
      List<LeaseEvent> b = batches.poll(30, TimeUnit.SECONDS);
      if (b == null) {
        throw new AssertionError("no lease events within 30 s");
      }
      return b;
    }

    /** Every event up to and including the first one about {@code subnet} (a marker written last). */
    List<String> until(String subnet) throws InterruptedException {
      List<String> seen = new ArrayList<>();
      while (!seen.contains("Added " + subnet)) {
        for (LeaseEvent e : next()) {
          seen.add((e instanceof LeaseEvent.Added ? "Added " : "Removed ") + e.lease().subnet());
        }
      }
      return seen;
    }
  }

  private boolean warned(String key) {
    return logs.list.stream().anyMatch(e -> e.getLevel() == Level.WARN
        && e.getFormattedMessage().startsWith("skipping etcd key \"" + prefix + key.replace("\n", "\\u000a")));
  }

  /** Spellings of the real peer's key {@code 10.244.2.0-24} that lenient parsers read as it. */
  @ParameterizedTest(name = "alias \"{0}\"")
  @ValueSource(strings = {"10.244.2.0-24 ", " 10.244.2.0-24", "012.244.2.0-24", "10.244.02.0-24", "10.244.2.0-024",
      "10.244.2.0-24\n"})
  void aliasOfAPeerNeitherStandsInForItNorWithdrawsIt(String alias) throws Exception {
    put("/subnets/10.244.2.0-24", REAL);
    manager.acquireLease(own());
    Sink sink = new Sink();
    manager.watchPeers(sink);
    List<LeaseEvent> first = sink.next();
    assertEquals(1, first.size(), first.toString());
    assertEquals("192.0.2.2", first.get(0).lease().attrs().publicIp().getHostAddress());
    long before = manager.malformedPeers();

    // written: skipped with one WARN and counted; the peer set is unchanged (only the marker arrives)
    put("/subnets/" + alias, INTRUDER);
    put("/subnets/10.244.9.0-24", value("192.0.2.9", "2a:00:00:00:00:09"));
    assertEquals(List.of("Added 10.244.9.0/24"), sink.until("10.244.9.0/24"), alias);
    assertEquals(before + 1, manager.malformedPeers(), "counted once");
    assertTrue(warned("/subnets/" + alias), logs.list.toString());

    // deleted: nothing is withdrawn, nothing more is counted
    delete("/subnets/" + alias);
    put("/subnets/10.244.8.0-24", value("192.0.2.8", "2a:00:00:00:00:08"));
    assertEquals(List.of("Added 10.244.8.0/24"), sink.until("10.244.8.0/24"), alias);
    assertEquals(before + 1, manager.malformedPeers(), "a deleted alias is not counted again");
    assertEquals(0, sink.lost.size());

    // a fresh listing (another node starting, or a relist) sees the real peer, not the alias
    put("/subnets/" + alias, INTRUDER);
    try (EtcdSubnetManager other = new EtcdSubnetManager(EtcdOptions.of(List.of(etcd.endpoint())).withPrefix(prefix)
        .withOpTimeout(Duration.ofSeconds(5)), null)) {
      other.acquireLease(new LeaseAttrs(InetAddress.getByName("192.0.2.3"), null, "vxlan", null, null));
      Sink s2 = new Sink();
      other.watchPeers(s2);
      List<LeaseEvent> listed = s2.next();
      LeaseEvent real = listed.stream().filter(e -> e.lease().subnet().toString().equals("10.244.2.0/24"))
          .findFirst().orElseThrow();
      assertEquals("192.0.2.2", real.lease().attrs().publicIp().getHostAddress(), listed.toString());
      assertEquals(4, listed.size(), "the three peers and our first node: " + listed);
      assertEquals(1, other.malformedPeers());
    }
  }

  /** Spellings of our own key: deleting one must not make the manager report our lease lost. */
  @ParameterizedTest(name = "own alias {0}")
  @ValueSource(strings = {"trailing space", "leading zero", "prefix zero"})
  void deletingAnAliasOfOurKeyIsNotTheLossOfOurLease(String how) throws Exception {
    Lease mine = manager.acquireLease(own());
    String key = mine.subnet().toKey(); // 10.244.x.0-24
    String alias = switch (how) {
      case "trailing space" -> key + " ";
      case "leading zero" -> "012" + key.substring(2); // octal 012 is 10
      default -> key.replace("-24", "-024");
    };
    Sink sink = new Sink();
    manager.watchPeers(sink);
    assertEquals(List.of(), sink.next());

    put("/subnets/" + alias, INTRUDER);
    delete("/subnets/" + alias);
    put("/subnets/10.244.9.0-24", value("192.0.2.9", "2a:00:00:00:00:09"));
    assertEquals(List.of("Added 10.244.9.0/24"), sink.until("10.244.9.0/24"), alias);
    assertEquals(0, sink.lost.size(), "our lease is not lost: " + sink.lost);
    assertEquals(1, manager.malformedPeers());

    // the real key's deletion still is
    delete("/subnets/" + key);
    assertEquals(mine.subnet(), sink.lost.poll(30, TimeUnit.SECONDS).subnet());
  }
}
