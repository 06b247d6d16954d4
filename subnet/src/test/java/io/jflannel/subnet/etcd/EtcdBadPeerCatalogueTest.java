package io.jflannel.subnet.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.jflannel.subnet.ConfigException;
import io.jflannel.subnet.IpNet;
import io.jflannel.subnet.LeaseAttrs;
import io.jflannel.subnet.LeaseEvent;
import io.jflannel.subnet.PeerListener;
import io.jflannel.subnet.PeerSet;
import io.jflannel.subnet.SubnetManager;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.LoggerFactory;

/**
 * Peer data in etcd that does not parse (docs/robustness.md, section "peer data / etcd"):
 * each bad key or value sits next to a good peer; the manager skips it with a WARN naming the
 * key, counts it in {@link SubnetManager#malformedPeers()}, and still delivers the good peer,
 * both in the first listing and when it arrives through the watch.
 */
class EtcdBadPeerCatalogueTest {
  // Our own random subnet is kept away from the peers' 10.244.2-6.x, or a peer write could
  // land on our own key.
  private static final String CONFIG = "{\"Network\":\"10.244.0.0/16\",\"SubnetMin\":\"10.244.100.0\","
      + "\"SubnetMax\":\"10.244.200.0\",\"Backend\":{\"Type\":\"vxlan\"}}";
  private static final String GOOD = "{\"PublicIP\":\"192.0.2.2\",\"PublicIPv6\":null,\"BackendType\":\"vxlan\","
      + "\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"2a:00:00:00:00:02\"}}";
  private static final AtomicInteger PREFIXES = new AtomicInteger();
  private static EtcdServer etcd;
  private static Client client;

  private String prefix;
  private EtcdSubnetManager manager;
  private ListAppender<ILoggingEvent> logs;

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
    prefix = "/jfl-bad/" + PREFIXES.incrementAndGet();
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
    put(key, value.getBytes(StandardCharsets.UTF_8));
  }

  private void put(String key, byte[] value) throws Exception {
    client.getKVClient().put(ByteSequence.from((prefix + key).getBytes(StandardCharsets.UTF_8)),
        ByteSequence.from(value)).get(5, TimeUnit.SECONDS);
  }

  private static LeaseAttrs own() throws Exception {
    return new LeaseAttrs(InetAddress.getByName("192.0.2.1"), null, "vxlan", null, null);
  }

  static final class Sink implements PeerListener {
    final BlockingQueue<List<LeaseEvent>> batches = new LinkedBlockingQueue<>();

    @Override
    public void peersChanged(PeerSet peers) {
      List<LeaseEvent> events = peers.drain().events();
      batches.add(events);
    }

    List<LeaseEvent> next() throws InterruptedException {
      List<LeaseEvent> b = batches.poll(30, TimeUnit.SECONDS);
      if (b == null) {
        throw new AssertionError("no lease events within 30 s");
      }
      return b;
    }
  }

  private static Set<String> subnets(List<LeaseEvent> events) {
    return events.stream().map(e -> e.lease().subnet().toString()).collect(Collectors.toSet());
  }

  private boolean warned(String key) {
    return logs.list.stream().anyMatch(e -> e.getLevel() == Level.WARN
        && e.getFormattedMessage().contains("skipping etcd key \"" + prefix + key + "\""));
  }

  static Stream<Arguments> badEntries() {
    String mac = "\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"2a:00:00:00:00:05\"}";
    return Stream.of(
        Arguments.of("E-VALUE-NOT-JSON", "/subnets/10.244.5.0-24", "this is not json"),
        Arguments.of("E-VALUE-TRUNCATED", "/subnets/10.244.5.0-24", "{\"PublicIP\":\"192.0.2.5\","),
        Arguments.of("E-VALUE-ARRAY", "/subnets/10.244.5.0-24", "[\"192.0.2.5\"]"),
        Arguments.of("E-VALUE-EMPTY", "/subnets/10.244.5.0-24", ""),
        Arguments.of("E-PUBLICIP-NUMBER", "/subnets/10.244.5.0-24", "{\"PublicIP\":5,\"BackendType\":\"vxlan\"," + mac + "}"),
        Arguments.of("E-PUBLICIP-V6-IN-V4", "/subnets/10.244.5.0-24", "{\"PublicIP\":\"2001:db8::5\",\"BackendType\":\"vxlan\"," + mac + "}"),
        Arguments.of("E-PUBLICIP-HOSTNAME", "/subnets/10.244.5.0-24", "{\"PublicIP\":\"node5.example\",\"BackendType\":\"vxlan\"," + mac + "}"),
        Arguments.of("E-PUBLICIPV6-V4-IN-V6", "/subnets/10.244.5.0-24", "{\"PublicIP\":\"192.0.2.5\",\"PublicIPv6\":\"192.0.2.5\",\"BackendType\":\"vxlan\"," + mac + "}"),
        Arguments.of("E-BACKENDTYPE-NUMBER", "/subnets/10.244.5.0-24", "{\"PublicIP\":\"192.0.2.5\",\"BackendType\":7," + mac + "}"),
        Arguments.of("E-KEY-GARBAGE", "/subnets/garbage", GOOD.replace("192.0.2.2", "192.0.2.5")),
        Arguments.of("E-KEY-PREFIX-TOO-LONG", "/subnets/10.244.5.0-33", GOOD.replace("192.0.2.2", "192.0.2.5")),
        Arguments.of("E-KEY-HOST-BITS", "/subnets/10.244.5.7-24", GOOD.replace("192.0.2.2", "192.0.2.5")),
        Arguments.of("E-KEY-TWO-V4", "/subnets/10.244.5.0-24&10.244.6.0-24", GOOD.replace("192.0.2.2", "192.0.2.5")));
  }

  @ParameterizedTest(name = "{0} in the first listing")
  @MethodSource("badEntries")
  void badEntryInListingIsSkippedWarnedCounted(String id, String key, String value) throws Exception {
    put("/subnets/10.244.2.0-24", GOOD);
    put(key, value);
    manager.acquireLease(own());
    Sink sink = new Sink();
    manager.watchPeers(sink);
    List<LeaseEvent> first = sink.next();
    assertEquals(Set.of("10.244.2.0/24"), subnets(first), id);
    // met by the acquire listing and the watch listing, reported once
    assertEquals(1, manager.malformedPeers(), id + ": counter");
    assertTrue(warned(key), id + ": " + logs.list);
  }

  @ParameterizedTest(name = "{0} arriving through the watch")
  @MethodSource("badEntries")
  void badEntryInWatchIsSkippedWarnedCountedAndLaterGoodPeerArrives(String id, String key, String value)
      throws Exception {
    manager.acquireLease(own());
    Sink sink = new Sink();
    manager.watchPeers(sink);
    assertEquals(List.of(), sink.next());
    long before = manager.malformedPeers();
    put(key, value);
    put("/subnets/10.244.2.0-24", GOOD);
    List<LeaseEvent> events = new ArrayList<>(sink.next());
    while (events.isEmpty()) {
      events.addAll(sink.next());
    }
    assertEquals(Set.of("10.244.2.0/24"), subnets(events), id);
    assertTrue(manager.malformedPeers() > before, id + ": counter");
    assertTrue(warned(key), id + ": " + logs.list);
  }

  /** E-VALUE-NOT-UTF8: raw bytes that are not text. */
  @Test
  void valueThatIsNotUtf8IsSkipped() throws Exception {
    put("/subnets/10.244.2.0-24", GOOD);
    put("/subnets/10.244.5.0-24", new byte[] {(byte) 0xff, (byte) 0xfe, 0, 1, '{'});
    manager.acquireLease(own());
    Sink sink = new Sink();
    manager.watchPeers(sink);
    assertEquals(Set.of("10.244.2.0/24"), subnets(sink.next()));
    assertEquals(1, manager.malformedPeers());
    assertTrue(warned("/subnets/10.244.5.0-24"), logs.list.toString());
  }

  /** E-CONFIG-NOT-JSON: the etcd config key is this node's own config: a clear error naming the key. */
  @Test
  void configValueThatIsNotJsonIsAnErrorNamingTheKey() throws Exception {
    put("/config", "Network=10.244.0.0/16");
    ConfigException e = assertThrows(ConfigException.class, manager::networkConfig);
    assertTrue(e.getMessage().startsWith(prefix + "/config in etcd ["), e.getMessage());
    assertTrue(e.getMessage().contains("]: network config is not valid JSON"), e.getMessage());
  }

  /** E-SUBNET-IS-OURS-TAKEN: a bad value on a free subnet still blocks it from allocation. */
  @Test
  void badValueStillReservesItsSubnet() throws Exception {
    // Network /22 with /24 subnets: 10.244.0.0/24 is never handed out, .1 .2 .3 are.
    put("/config", "{\"Network\":\"10.244.0.0/22\",\"Backend\":{\"Type\":\"vxlan\"}}");
    put("/subnets/10.244.1.0-24", "not json");
    put("/subnets/10.244.2.0-24", GOOD);
    IpNet got = manager.acquireLease(own()).subnet();
    assertEquals(IpNet.parse("10.244.3.0/24"), got);
  }
}
