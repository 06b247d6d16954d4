package io.jflannel.subnet.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.jflannel.subnet.IpLiteral;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code flanneld cleanup --release-lease} against a real etcd: only the keys whose PublicIP is
 * this node's go, a reservation (no etcd lease) of this node stays, peers' keys stay, and a dry
 * run deletes nothing.
 */
class EtcdReleaseLeasesTest {
  private static EtcdServer etcd;
  private static Client client;
  private static int prefixes;

  private String prefix;
  private EtcdSubnetManager manager;

  private static String value(String ip) {
    return "{\"PublicIP\":\"" + ip + "\",\"PublicIPv6\":null,\"BackendType\":\"host-gw\",\"BackendData\":null}";
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
    prefix = "/jfl-release/" + ++prefixes;
    long lease = client.getLeaseClient().grant(3600).get(10, TimeUnit.SECONDS).getID();
    put("/subnets/10.244.1.0-24", value("192.0.2.10"), lease); // ours, leased
    put("/subnets/10.244.2.0-24", value("192.0.2.20"), lease); // a peer's
    put("/subnets/10.244.3.0-24", value("192.0.2.11"), 0);     // ours (second address), a reservation
    put("/subnets/not-a-key", value("192.0.2.10"), 0);         // malformed: never touched
    manager = new EtcdSubnetManager(EtcdOptions.of(List.of(etcd.endpoint())).withPrefix(prefix)
        .withOpTimeout(Duration.ofSeconds(5)), null);
  }

  @AfterEach
  void close() {
    manager.close();
  }

  private void put(String key, String value, long lease) throws Exception {
    client.getKVClient().put(bytes(prefix + key), bytes(value),
        lease == 0 ? PutOption.DEFAULT : PutOption.builder().withLeaseId(lease).build()).get(10, TimeUnit.SECONDS);
  }

  private static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }

  private List<String> keys() throws Exception {
    return client.getKVClient().get(bytes(prefix + "/subnets/"), GetOption.builder().isPrefix(true).build())
        .get(10, TimeUnit.SECONDS).getKvs().stream()
        .map(kv -> kv.getKey().toString(StandardCharsets.UTF_8).substring(prefix.length())).sorted().toList();
  }

  private static final Set<InetAddress> OURS = Set.of(IpLiteral.parse("192.0.2.10"), IpLiteral.parse("192.0.2.11"));

  @Test
  void deletesOnlyThisNodesLeasedKeys() throws Exception {
    List<EtcdSubnetManager.OwnKey> found = manager.releaseLeases(OURS::contains, false);

    assertEquals(List.of(new EtcdSubnetManager.OwnKey(prefix + "/subnets/10.244.1.0-24", false),
        new EtcdSubnetManager.OwnKey(prefix + "/subnets/10.244.3.0-24", true)), found);
    assertEquals(List.of("/subnets/10.244.2.0-24", "/subnets/10.244.3.0-24", "/subnets/not-a-key"), keys());
    assertEquals(List.of(new EtcdSubnetManager.OwnKey(prefix + "/subnets/10.244.3.0-24", true)),
        manager.releaseLeases(OURS::contains, false), "a second run finds only the reservation");
  }

  @Test
  void aDryRunDeletesNothing() throws Exception {
    List<String> before = keys();
    assertEquals(2, manager.releaseLeases(OURS::contains, true).size());
    assertEquals(before, keys());
    assertTrue(before.contains("/subnets/10.244.1.0-24"));
  }
}
