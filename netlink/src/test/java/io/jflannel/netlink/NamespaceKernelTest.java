package io.jflannel.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jflannel.netlink.testing.TestNetns;
import java.net.InetAddress;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** Handles bound to different namespaces coexist in one JVM and each sees only its own kernel objects. */
class NamespaceKernelTest {
  @Test
  void twoHandlesInTwoNamespacesSeeOnlyTheirOwnObjects() throws Exception {
    try (TestNetns a = TestNetns.create("nl"); TestNetns b = TestNetns.create("nl");
         Netlink na = Netlink.open(a.netns()); Netlink nb = Netlink.open(b.netns())) {
      a.vethPair("va0", "va1");
      b.vethPair("vb0", "vb1");
      assertTrue(na.link("va0").isPresent());
      assertEquals(Optional.empty(), na.link("vb0"));
      assertTrue(nb.link("vb0").isPresent());
      assertEquals(Optional.empty(), nb.link("va0"));
      assertEquals(a.netns(), na.namespace());

      // same names in both namespaces, different contents
      int ia = na.link("va0").orElseThrow().index();
      int ib = nb.link("vb0").orElseThrow().index();
      Link fa = na.createVxlan(new VxlanSpec("flannel.1", new VxlanAttrs(1, ia, null, 0, false, false, 0), null, 0));
      Link fb = nb.createVxlan(new VxlanSpec("flannel.1", new VxlanAttrs(2, ib, null, 0, false, false, 0), null, 0));
      assertEquals(1, na.link("flannel.1").orElseThrow().vxlan().orElseThrow().vni());
      assertEquals(2, nb.link("flannel.1").orElseThrow().vxlan().orElseThrow().vni());
      na.setUp(fa.index());
      nb.setUp(fb.index());
      InetAddress dst = InetAddress.getByName("10.244.7.0");

      // both handles used concurrently from several threads
      ExecutorService pool = Executors.newFixedThreadPool(4);
      try {
        Future<?> x = pool.submit(() -> {
          na.routeReplace(Route.via(dst, 24, dst, fa.index()).onlink());
          return null;
        });
        Future<?> y = pool.submit(() -> nb.links());
        x.get();
        y.get();
      } finally {
        pool.shutdown();
      }
      assertEquals(1, na.routes(RouteFilter.ALL.withDst(dst, 24)).size());
      assertEquals(List.of(), nb.routes(RouteFilter.ALL.withDst(dst, 24)));
      assertTrue(a.exec("ip", "route").contains("10.244.7.0/24 via 10.244.7.0 dev flannel.1 onlink"));
      assertTrue(!b.exec("ip", "route").contains("10.244.7.0"));
      assertTrue(b.exec("ip", "-d", "link", "show", "flannel.1").contains("vxlan id 2"));

      // the test JVM's own namespace was never touched
      try (Netlink own = Netlink.open()) {
        assertEquals(Optional.empty(), own.link("va0"));
        assertEquals(Optional.empty(), own.link("vb0"));
      }
    }
  }

  @Test
  void missingNamespaceIsAClearError() {
    NetlinkException e = assertThrows(NetlinkException.class, () -> Netlink.open(new NetNs("jfl-nl-does-not-exist")));
    assertEquals("ENOENT", e.errnoName());
    assertTrue(e.getMessage().contains("jfl-nl-does-not-exist"), e.getMessage());
  }
}
