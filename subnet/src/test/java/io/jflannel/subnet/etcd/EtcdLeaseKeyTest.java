package io.jflannel.subnet.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jflannel.subnet.IpNet;
import io.jflannel.subnet.NetworkConfigParser;
import io.jflannel.subnet.NetworkConfig;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class EtcdLeaseKeyTest {

  @Test
  void parsesTheThreeUpstreamForms() {
    EtcdLeaseKey v4 = EtcdLeaseKey.parse("10.5.52.0-24");
    assertEquals(IpNet.parse("10.5.52.0/24"), v4.subnet());
    assertNull(v4.ipv6Subnet());
    assertEquals("10.5.52.0-24", v4.toString());

    EtcdLeaseKey v6 = EtcdLeaseKey.parse("fc00:0:0:1::-64");
    assertNull(v6.subnet());
    assertEquals(IpNet.parse("fc00:0:0:1::/64"), v6.ipv6Subnet());
    assertEquals("fc00:0:0:1::-64", v6.toString());

    EtcdLeaseKey dual = EtcdLeaseKey.parse("10.5.52.0-24&fc00:0:0:1::-64");
    assertEquals("10.5.52.0-24&fc00:0:0:1::-64", dual.toString());
    assertEquals(IpNet.parse("10.5.52.0/24"), dual.subnet());
  }

  @ParameterizedTest
  @ValueSource(strings = {"garbage", "10.5.52.1-24", "10.5.52.0-24&10.5.53.0-24", "fc00:0:0:1::-64&10.5.52.0-24",
      "10.5.52.0-24&", "a&b&c", "10.5.52.0/24", "", "10.5.52.0", "10.5.52.0-", "-24", "10.5.52.0-33", "10.5.52.0-x",
      "banana-24"})
  void rejectsOtherForms(String key) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> EtcdLeaseKey.parse(key));
    assertTrue(e.getMessage().contains("\"" + key + "\""), e.getMessage());
  }

  /**
   * Every spelling of a subnet but the one upstream writes is refused: each would be a second
   * key for a subnet that has its key already (an alias to impersonate or delete a peer with),
   * or a key that names another subnet than the one other readers see.
   */
  @ParameterizedTest
  @ValueSource(strings = {"10.244.2.0-24 ", " 10.244.2.0-24", "10.244.2.0-24\n", "10.244.2.0-24\u0000",
      "012.244.2.0-24", "10.244.02.0-24", "10.244.2.00-24", "0xa.244.2.0-24", "10.244.512-24", "10.244.2.0-024",
      "10.244.2.0-+24", "10.244.2.0- 24", "FC00:0:0:1::-64", "fc00:0000:0:1::-64", "fc00:0:0:1:0:0:0:0-64",
      "fc00:0:0:1::-064", "::ffff:10.244.2.0-120", "10.244.2.0-24&FC00:0:0:1::-64", "10.244.2.0-24&fc00:0:0:1::-64 ",
      "10.244.2.0-24 &fc00:0:0:1::-64", "10.244.2.0-24&fc00::1:0:0:0:0-64"})
  void refusesEveryNonCanonicalSpelling(String key) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> EtcdLeaseKey.parse(key));
    assertFalse(e.getMessage().contains("\n") || e.getMessage().contains("\u0000"), "control characters escaped");
  }

  @Test
  void aliasMessagesSayWhatIsWrong() {
    assertEquals("lease key \"10.244.2.0-24 \": prefix length \"24 \" is not a number",
        assertThrows(IllegalArgumentException.class, () -> EtcdLeaseKey.parse("10.244.2.0-24 ")).getMessage());
    assertEquals("lease key \" 10.244.2.0-24\": \" 10.244.2.0\" is not an IP address: it contains whitespace"
        + " or a control character", assertThrows(IllegalArgumentException.class,
        () -> EtcdLeaseKey.parse(" 10.244.2.0-24")).getMessage());
    assertEquals("lease key \"10.244.2.0-024\": prefix length \"024\" is not in canonical form",
        assertThrows(IllegalArgumentException.class, () -> EtcdLeaseKey.parse("10.244.2.0-024")).getMessage());
    assertTrue(assertThrows(IllegalArgumentException.class, () -> EtcdLeaseKey.parse("012.244.2.0-24")).getMessage()
        .contains("\"012\" has a leading zero"));
    assertEquals("lease key \"FC00:0:0:1::-64\" is not in canonical form (that would be \"fc00:0:0:1::-64\")",
        assertThrows(IllegalArgumentException.class, () -> EtcdLeaseKey.parse("FC00:0:0:1::-64")).getMessage());
  }

  /** Random subnets: the key written is the key read, and nothing else reads as it. */
  @Test
  void canonicalKeysRoundTrip() throws Exception {
    java.util.Random rnd = new java.util.Random(3);
    for (int i = 0; i < 5_000; i++) {
      IpNet v4 = new IpNet(java.net.InetAddress.getByAddress(new byte[] {10, (byte) rnd.nextInt(256),
          (byte) rnd.nextInt(256), (byte) rnd.nextInt(256)}), 8 + rnd.nextInt(25)).network();
      byte[] b6 = new byte[16];
      rnd.nextBytes(b6);
      b6[0] = (byte) 0xfc;
      IpNet v6 = new IpNet(java.net.Inet6Address.getByAddress(null, b6, -1), 16 + rnd.nextInt(113)).network();
      for (EtcdLeaseKey k : List.of(new EtcdLeaseKey(v4, null), new EtcdLeaseKey(null, v6), new EtcdLeaseKey(v4, v6))) {
        assertEquals(k, EtcdLeaseKey.parse(k.toString()));
        assertThrows(IllegalArgumentException.class, () -> EtcdLeaseKey.parse(k + " "));
        assertThrows(IllegalArgumentException.class, () -> EtcdLeaseKey.parse(k.toString().toUpperCase()
            .equals(k.toString()) ? "0" + k : k.toString().toUpperCase()));
      }
    }
  }

  @Test
  void compatibilityFollowsTheConfig() throws Exception {
    NetworkConfig c = NetworkConfigParser.parse("{\"Network\":\"10.5.0.0/16\",\"SubnetMin\":\"10.5.10.0\",\"SubnetMax\":\"10.5.20.0\"}");
    assertTrue(SubnetAllocator.compatible(c, EtcdLeaseKey.parse("10.5.10.0-24")));
    assertTrue(SubnetAllocator.compatible(c, EtcdLeaseKey.parse("10.5.20.0-24")));
    assertFalse(SubnetAllocator.compatible(c, EtcdLeaseKey.parse("10.5.21.0-24")));
    assertFalse(SubnetAllocator.compatible(c, EtcdLeaseKey.parse("10.5.12.0-25")));
    assertFalse(SubnetAllocator.compatible(c, EtcdLeaseKey.parse("10.6.12.0-24")));
    assertFalse(SubnetAllocator.compatible(c, EtcdLeaseKey.parse("10.5.12.0-24&fc00::-64")));
  }

  @Test
  void optionsDefaultsAndValidation() {
    EtcdOptions o = EtcdOptions.of(EtcdOptions.parseEndpoints("http://127.0.0.1:4001, http://127.0.0.1:2379"));
    assertEquals(EtcdOptions.DEFAULT_ENDPOINTS, o.endpoints());
    assertEquals("/coreos.com/network", o.prefix());
    assertEquals(Duration.ofHours(24), o.leaseTtl());
    assertEquals(Duration.ofMinutes(60), o.renewMargin());
    assertFalse(o.tls());
    assertEquals("/x", o.withPrefix("/x/").prefix());
    assertTrue(o.withTls("k.pem", "c.pem", "").tls());
    assertFalse(o.withTls("k.pem", "", "ca.pem").tls());
    assertFalse(o.withCredentials("u", "secret").toString().contains("secret"));
    assertThrows(IllegalArgumentException.class, () -> o.withLease(Duration.ofSeconds(5), Duration.ofSeconds(5)));
    assertThrows(IllegalArgumentException.class, () -> o.withPrefix("x"));
    assertThrows(IllegalArgumentException.class, () -> EtcdOptions.parseEndpoints(" , "));
    assertThrows(IllegalArgumentException.class, () -> EtcdOptions.of(List.of()));
  }
}
