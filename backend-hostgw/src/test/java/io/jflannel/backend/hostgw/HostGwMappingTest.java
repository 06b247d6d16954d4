package io.jflannel.backend.hostgw;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.NullNode;
import io.jflannel.backend.BackendContext;
import io.jflannel.backend.BackendException;
import io.jflannel.backend.Backends;
import io.jflannel.backend.ExternalInterface;
import io.jflannel.backend.InMemorySubnetManager;
import io.jflannel.backend.PeerObjects;
import io.jflannel.netlink.Route;
import io.jflannel.subnet.IpNet;
import io.jflannel.subnet.Lease;
import io.jflannel.subnet.LeaseAttrs;
import io.jflannel.subnet.NetworkConfig;
import java.net.InetAddress;
import org.junit.jupiter.api.Test;

class HostGwMappingTest {
  static InetAddress ip(String s) throws Exception {
    return InetAddress.getByName(s);
  }

  @Test
  void peerMapsToOneRouteViaItsAddress() throws Exception {
    Lease p = new Lease(IpNet.parse("10.244.2.0/24"), null,
        new LeaseAttrs(ip("192.0.2.2"), null, "host-gw", NullNode.getInstance(), null), null);
    assertEquals(PeerObjects.route(Route.via(ip("10.244.2.0"), 24, ip("192.0.2.2"), 2)), HostGwDataplane.map(p, 2));
    assertSame(p.subnet().address(), HostGwDataplane.map(p, 2).routes().get(0).dst(), "the lease's address instance");
  }

  @Test
  void ownershipIsRoutesInsideNetworkViaAGatewayOnTheExternalInterface() throws Exception {
    HostGwDataplane dp = new HostGwDataplane(null,
        new io.jflannel.backend.Underlay(null, ExternalInterface.ipv4("eth0", 2, ip("192.0.2.1"), 1500)),
        IpNet.parse("10.244.0.0/16"), IpNet.parse("10.244.1.0/24"));
    assertTrue(dp.owns(Route.via(ip("10.244.9.0"), 24, ip("192.0.2.9"), 2)));
    assertFalse(dp.owns(Route.via(ip("10.245.9.0"), 24, ip("192.0.2.9"), 2)), "outside Network");
    assertFalse(dp.owns(Route.via(ip("10.244.9.0"), 24, ip("192.0.2.9"), 3)), "other interface");
    assertFalse(dp.owns(Route.dev(ip("10.244.9.0"), 24, 2)), "no gateway");
    assertFalse(dp.owns(Route.via(ip("10.244.1.0"), 24, ip("192.0.2.9"), 2)), "our own subnet");
    assertFalse(dp.owns(Route.via(ip("10.244.9.0"), 24, ip("192.0.2.9"), 2).withTable(7)), "other table");
  }

  @Test
  void natIsRefusedWithAClearError() throws Exception {
    NetworkConfig cfg = InMemorySubnetManager.config("10.244.0.0/16", new NetworkConfig.BackendConfig("host-gw", null));
    var ext = new ExternalInterface("eth0", 2, ip("192.0.2.1"), null, ip("203.0.113.7"), null, 1500);
    var sm = new InMemorySubnetManager(cfg, IpNet.parse("10.244.1.0/24"), null);
    var backend = Backends.create("HOST-GW", new BackendContext(new io.jflannel.backend.FakeNetlink(), ext, sm, null));
    BackendException e = assertThrows(BackendException.class, () -> backend.registerNetwork(cfg));
    assertEquals("host-gw backend: the advertised address 203.0.113.7 differs from the address 192.0.2.1 of eth0"
        + " (NAT?); peers must reach this node directly at its interface address, use vxlan instead", e.getMessage());
    assertEquals(null, sm.published(), "no lease is taken");
  }
}
