package io.jflannel.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jflannel.netlink.testing.TestNetns;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Objects deleted with ip/bridge arrive as typed events on a subscription. */
class NotificationKernelTest {
  private TestNetns ns;
  private Netlink nl;
  private Subscription sub;
  private final LinkedBlockingQueue<NetlinkEvent> events = new LinkedBlockingQueue<>();
  /** Everything received so far, in order (await() searches it, so arrival order does not matter). */
  private final List<NetlinkEvent> seen = new ArrayList<>();
  private Link dev;

  @BeforeEach
  void setUp() throws Exception {
    ns = TestNetns.create("nl");
    ns.vethPair("veth0", "veth1");
    ns.exec("ip", "addr", "add", "192.0.2.1/24", "dev", "veth0");
    nl = Netlink.open(ns.netns());
    int veth0 = nl.link("veth0").orElseThrow().index();
    dev = nl.createVxlan(new VxlanSpec("flannel.1",
        new VxlanAttrs(1, veth0, InetAddress.getByName("192.0.2.1"), 0, false, false, 0), null, 0));
    nl.setUp(dev.index());
    sub = nl.subscribe(EnumSet.allOf(Group.class), events::add);
  }

  @AfterEach
  void tearDown() {
    if (sub != null) {
      sub.close();
    }
    if (nl != null) {
      nl.close();
    }
    if (ns != null) {
      ns.close();
    }
  }

  private <T extends NetlinkEvent> T await(Class<T> type, Predicate<T> match) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (System.nanoTime() < deadline) {
      NetlinkEvent e = events.poll(100, TimeUnit.MILLISECONDS);
      if (e != null) {
        seen.add(e);
      }
      for (NetlinkEvent s : seen) {
        if (type.isInstance(s) && match.test(type.cast(s))) {
          seen.remove(s);
          return type.cast(s);
        }
      }
    }
    throw new AssertionError("no " + type.getSimpleName() + " within 5 s");
  }

  @Test
  void deletionsWithIpAndBridgeArriveAsTypedEvents() throws Exception {
    InetAddress gw = InetAddress.getByName("10.244.2.0");
    MacAddress mac = MacAddress.parse("2a:95:ed:10:e4:56");
    nl.neighReplace(Neigh.permanent(dev.index(), gw, mac));
    nl.fdbReplace(FdbEntry.permanentSelf(dev.index(), mac, InetAddress.getByName("192.0.2.2")));
    nl.routeReplace(Route.via(gw, 24, gw, dev.index()).onlink());
    nl.addrAdd(new Addr(dev.index(), InetAddress.getByName("10.244.1.0"), 32));
    await(NetlinkEvent.RouteAdded.class, e -> gw.equals(e.route().dst()));
    await(NetlinkEvent.NeighAdded.class, e -> gw.equals(e.neigh().address()));
    await(NetlinkEvent.FdbAdded.class, e -> mac.equals(e.entry().mac()));
    await(NetlinkEvent.AddrAdded.class, e -> e.addr().linkIndex() == dev.index());

    ns.exec("ip", "route", "del", "10.244.2.0/24", "dev", "flannel.1");
    NetlinkEvent.RouteDeleted rd = await(NetlinkEvent.RouteDeleted.class, e -> gw.equals(e.route().dst()));
    assertEquals(24, rd.route().dstPrefixLength());
    assertEquals(dev.index(), rd.route().linkIndex());

    ns.exec("ip", "neigh", "del", "10.244.2.0", "dev", "flannel.1");
    NetlinkEvent.NeighDeleted nd = await(NetlinkEvent.NeighDeleted.class, e -> gw.equals(e.neigh().address()));
    assertEquals(dev.index(), nd.neigh().linkIndex());

    ns.exec("bridge", "fdb", "del", "2a:95:ed:10:e4:56", "dev", "flannel.1", "dst", "192.0.2.2", "self");
    NetlinkEvent.FdbDeleted fd = await(NetlinkEvent.FdbDeleted.class, e -> mac.equals(e.entry().mac()));
    assertEquals(InetAddress.getByName("192.0.2.2"), fd.entry().dst());

    ns.exec("ip", "addr", "del", "10.244.1.0/32", "dev", "flannel.1");
    await(NetlinkEvent.AddrDeleted.class, e -> e.addr().linkIndex() == dev.index());

    ns.exec("ip", "link", "del", "flannel.1");
    NetlinkEvent.LinkDeleted ld = await(NetlinkEvent.LinkDeleted.class, e -> "flannel.1".equals(e.link().name()));
    assertEquals("vxlan", ld.link().kind());
  }

  @Test
  void droppedNotificationsBecomeAnOverrunEvent() throws Exception {
    sub.close();
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    LinkedBlockingQueue<NetlinkEvent> got = new LinkedBlockingQueue<>();
    // a tiny receive buffer and a consumer stuck on its first event: the kernel must drop
    Subscription small = ((RtNetlink) nl).subscribe(EnumSet.of(Group.IPV4_ROUTE), e -> {
      got.add(e);
      try {
        release.await();
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
      }
    }, 4096);
    try {
      List<NetlinkOp> ops = new ArrayList<>();
      for (int i = 0; i < 500; i++) {
        InetAddress d = InetAddress.getByAddress(new byte[] {10, 99, (byte) (i >> 8), (byte) i});
        ops.add(NetlinkOp.routeReplace(Route.dev(d, 32, dev.index())));
      }
      assertEquals(500, nl.apply(ops).succeeded());
      release.countDown();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      boolean overrun = false;
      while (!overrun && System.nanoTime() < deadline) {
        overrun = got.poll(100, TimeUnit.MILLISECONDS) instanceof NetlinkEvent.Overrun;
      }
      assertTrue(overrun, "expected an Overrun event after the kernel dropped notifications");
    } finally {
      release.countDown();
      small.close();
    }
  }

  @Test
  void closingStopsTheSubscription() throws Exception {
    sub.close();
    assertFalse(sub.isOpen());
    events.clear();
    ns.exec("ip", "link", "set", "flannel.1", "mtu", "1400");
    assertEquals(null, events.poll(300, TimeUnit.MILLISECONDS));
  }

  @Test
  void linkChangesArrive() throws Exception {
    ns.exec("ip", "link", "set", "flannel.1", "mtu", "1400");
    NetlinkEvent.LinkChanged c = await(NetlinkEvent.LinkChanged.class, e -> e.link().mtu() == 1400);
    assertNotNull(c.link().vxlan().orElse(null));
  }
}
