package io.jflannel.backend.udp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jflannel.subnet.IpNet;
import io.jflannel.subnet.Lease;
import io.jflannel.subnet.LeaseAttrs;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PeerTableTest {
  static Lease lease(String subnet, String publicIp) throws Exception {
    return new Lease(IpNet.parse(subnet), null, new LeaseAttrs(InetAddress.getByName(publicIp), null, "", null, null),
        null);
  }

  static int ip(String s) throws Exception {
    return PeerTable.toInt(InetAddress.getByName(s).getAddress());
  }

  @Test
  void findsTheOwnerOfEachSubnetAndNothingBetween() throws Exception {
    PeerTable t = PeerTable.of(List.of(lease("10.244.3.0/24", "192.0.2.3"), lease("10.244.1.0/24", "192.0.2.1"),
        lease("10.244.8.0/22", "192.0.2.8")), 8285);
    assertEquals(new InetSocketAddress("192.0.2.1", 8285), t.lookup(ip("10.244.1.0")));
    assertEquals(new InetSocketAddress("192.0.2.1", 8285), t.lookup(ip("10.244.1.255")));
    assertEquals(new InetSocketAddress("192.0.2.3", 8285), t.lookup(ip("10.244.3.77")));
    assertEquals(new InetSocketAddress("192.0.2.8", 8285), t.lookup(ip("10.244.11.255")));
    assertNull(t.lookup(ip("10.244.2.1")));
    assertNull(t.lookup(ip("10.244.12.0")));
    assertNull(t.lookup(ip("10.244.0.255")));
    assertNull(t.lookup(ip("9.0.0.1")));
    assertNull(PeerTable.EMPTY.lookup(ip("10.244.1.1")));
  }

  /** Addresses at and above 128.0.0.0 compare as unsigned. */
  @Test
  void highAddressesOrderAsUnsigned() throws Exception {
    PeerTable t = PeerTable.of(List.of(lease("172.16.5.0/24", "192.0.2.5"), lease("100.64.1.0/24", "192.0.2.1"),
        lease("255.255.255.0/24", "192.0.2.9")), 1);
    assertEquals(5, t.lookup(ip("172.16.5.9")).getAddress().getAddress()[3]);
    assertEquals(1, t.lookup(ip("100.64.1.9")).getAddress().getAddress()[3]);
    assertEquals(9, t.lookup(ip("255.255.255.255")).getAddress().getAddress()[3]);
    assertNull(t.lookup(ip("172.16.4.255")));
  }

  @Test
  void everyOneOfManyLeasesIsFound() throws Exception {
    List<Lease> leases = new ArrayList<>();
    for (int i = 0; i < 4096; i++) {
      leases.add(lease("10." + (i >> 8) + "." + (i & 0xff) + ".0/24", "192.0.2." + (1 + i % 250)));
    }
    PeerTable t = PeerTable.of(leases, 8285);
    assertEquals(4096, t.size());
    for (int i = 0; i < 4096; i++) {
      InetSocketAddress a = t.lookup(ip("10." + (i >> 8) + "." + (i & 0xff) + ".200"));
      assertEquals("192.0.2." + (1 + i % 250), a.getAddress().getHostAddress());
    }
    assertNull(t.lookup(ip("10.16.0.1")));
  }

  @Test
  void overlappingSubnetsAreRefused() throws Exception {
    var e = assertThrows(IllegalArgumentException.class,
        () -> PeerTable.of(List.of(lease("10.244.0.0/16", "192.0.2.1"), lease("10.244.5.0/24", "192.0.2.2")), 1));
    assertTrue(e.getMessage().contains("10.244.0.0/16") && e.getMessage().contains("10.244.5.0/24"), e.getMessage());
  }
}
