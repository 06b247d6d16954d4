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
      "10.5.52.0-24&", "a&b&c", "10.5.52.0/24", ""})
  void rejectsOtherForms(String key) {
    assertThrows(IllegalArgumentException.class, () -> EtcdLeaseKey.parse(key));
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
