package io.jflannel.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jflannel.netlink.codec.MessageWriter;
import io.jflannel.netlink.codec.Nl;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Request/reply logic of the facade (dump retry, batch matching, overruns) against a scripted kernel. */
class FacadeWithFakeKernelTest {

  @Test
  void interruptedDumpIsRepeatedAndOnlyTheCleanResultReturned() throws Exception {
    int[] dumps = {0};
    FakeKernel k = new FakeKernel((r, kernel) -> {
      assertEquals(Nl.RTM_GETLINK, r.type());
      assertEquals(Nl.NLM_F_REQUEST | Nl.NLM_F_DUMP, r.flags());
      if (dumps[0]++ == 0) {
        // the first attempt sees a concurrent change: the kernel flags a message DUMP_INTR
        kernel.reply(FakeKernel.datagram(FakeKernel.linkMessage(r.seq(), Nl.NLM_F_MULTI, 1, "lo"),
            FakeKernel.linkMessage(r.seq(), Nl.NLM_F_MULTI | Nl.NLM_F_DUMP_INTR, 2, "stale0")));
        kernel.reply(FakeKernel.done(r.seq(), Nl.NLM_F_DUMP_INTR, 0));
      } else {
        kernel.reply(FakeKernel.datagram(FakeKernel.linkMessage(r.seq(), Nl.NLM_F_MULTI, 1, "lo"),
            FakeKernel.linkMessage(r.seq(), Nl.NLM_F_MULTI, 3, "eth0")));
        kernel.reply(FakeKernel.done(r.seq(), 0, 0));
      }
    });
    RtNetlink nl = new RtNetlink(k, null);
    List<Link> links = nl.links();
    assertEquals(List.of("lo", "eth0"), links.stream().map(Link::name).toList());
    assertEquals(2, dumps[0]);
  }

  @Test
  void dumpInterruptedEveryTimeGivesUpWithAClearError() {
    FakeKernel k = new FakeKernel((r, kernel) -> {
      kernel.reply(FakeKernel.linkMessage(r.seq(), Nl.NLM_F_MULTI | Nl.NLM_F_DUMP_INTR, 1, "lo"));
      kernel.reply(FakeKernel.done(r.seq(), 0, 0));
    });
    NetlinkException e = assertThrows(NetlinkException.class, () -> new RtNetlink(k, null).links());
    assertTrue(e.getMessage().contains("NLM_F_DUMP_INTR"), e.getMessage());
    assertEquals(RtNetlink.DUMP_ATTEMPTS, k.requests.size());
  }

  @Test
  void dumpErrorInDoneIsReported() {
    FakeKernel k = new FakeKernel((r, kernel) -> kernel.reply(FakeKernel.done(r.seq(), 0, Errno.EINVAL)));
    NetlinkException e = assertThrows(NetlinkException.class, () -> new RtNetlink(k, null).links());
    assertEquals("EINVAL", e.errnoName());
  }

  @Test
  void repliesToOtherSequenceNumbersAreIgnored() throws Exception {
    FakeKernel k = new FakeKernel((r, kernel) -> {
      // a stale ACK of an older request arrives first
      kernel.reply(FakeKernel.ack(new FakeKernel.Request(r.type(), r.flags(), r.seq() - 5, r.bytes()), Errno.EEXIST, "old"));
      kernel.reply(FakeKernel.ack(r, 0, null));
    });
    new RtNetlink(k, null).routeReplace(Route.blackhole(InetAddress.getByName("10.0.0.0"), 8));
    assertEquals(1, k.requests.size());
  }

  private static List<NetlinkOp> routes(int n) throws Exception {
    List<NetlinkOp> ops = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      ops.add(NetlinkOp.routeReplace(Route.blackhole(InetAddress.getByAddress(new byte[] {10, 0, (byte) (i >> 8), (byte) i}), 32)));
    }
    return ops;
  }

  @Test
  void batchMatchesAcksBySequenceNumberInAnyOrder() throws Exception {
    List<FakeKernel.Request> pending = new ArrayList<>();
    FakeKernel k = new FakeKernel((r, kernel) -> {
      if (r.type() != Nl.RTM_NEWROUTE) {
        kernel.reply(FakeKernel.done(r.seq(), 0, 0)); // link-name lookup dump for the error message
        return;
      }
      pending.add(r);
      if (pending.size() == 5) {
        // answer in reverse order, the third request failing with an ext-ack
        for (int i = 4; i >= 0; i--) {
          FakeKernel.Request p = pending.get(i);
          kernel.reply(i == 2 ? FakeKernel.ack(p, Errno.EINVAL, "bad thing") : FakeKernel.ack(p, 0, null));
        }
        pending.clear();
      }
    });
    RtNetlink nl = new RtNetlink(k, null);
    List<NetlinkOp> ops = routes(5);
    BatchResult res = nl.apply(ops);
    assertEquals(List.of(5), k.datagramsSent.subList(0, 1), "all five requests in one datagram");
    assertEquals(4, res.succeeded());
    OpFailure f = res.failures().get(0);
    assertEquals(2, f.index());
    assertEquals(ops.get(2), f.op());
    assertEquals(Errno.EINVAL, f.error().errno());
    assertEquals("bad thing", f.error().extAck());
    assertEquals("route replace blackhole 10.0.0.2/32: EINVAL (Invalid argument): bad thing", f.error().getMessage());
    for (FakeKernel.Request r : k.requests.subList(0, 5)) {
      assertTrue((r.flags() & Nl.NLM_F_ACK) != 0, "every batched request asks for an ACK");
    }
    assertEquals(5, k.requests.subList(0, 5).stream().mapToInt(FakeKernel.Request::seq).distinct().count());
  }

  @Test
  void batchLargerThanTheWindowIsSentInWindowSizedDatagrams() throws Exception {
    FakeKernel k = new FakeKernel((r, kernel) -> {
      if (r.type() == Nl.RTM_NEWROUTE) {
        kernel.reply(FakeKernel.ack(r, 0, null));
      }
    });
    RtNetlink nl = new RtNetlink(k, null);
    int window = nl.window();
    BatchResult res = nl.apply(routes(window * 2 + 3));
    assertTrue(res.ok());
    assertEquals(List.of(window, window, 3), k.datagramsSent);
  }

  @Test
  void lostAcksAreReportedAsFailuresNotSilence() throws Exception {
    int[] sent = {0};
    FakeKernel k = new FakeKernel((r, kernel) -> {
      if (r.type() != Nl.RTM_NEWROUTE) {
        kernel.reply(FakeKernel.done(r.seq(), 0, 0)); // link-name lookup dump for the error message
        return;
      }
      if (sent[0]++ < 2) {
        kernel.reply(FakeKernel.ack(r, 0, null));
      } else if (sent[0] == 3) {
        kernel.fail(Errno.ENOBUFS); // the kernel dropped the remaining ACKs
      }
    });
    BatchResult res = new RtNetlink(k, null).apply(routes(4));
    assertEquals(2, res.succeeded());
    assertEquals(List.of(2, 3), res.failures().stream().map(OpFailure::index).toList());
    assertEquals("ENOBUFS", res.failures().get(0).error().errnoName());
  }

  @Test
  void overrunOnTheNotificationSocketBecomesAnOverrunEvent() throws Exception {
    LinkedBlockingQueue<NetlinkEvent> events = new LinkedBlockingQueue<>();
    FakeKernel k = new FakeKernel((r, kernel) -> { });
    k.fail(Errno.ENOBUFS);
    ByteBuffer b = ByteBuffer.allocateDirect(256);
    MessageWriter w = new MessageWriter(b);
    w.begin(Nl.RTM_DELROUTE, 0, 0).rtmsg(2, 24, 0, 0, 254, 3, 0, 1, 4)
        .attrAddress(Nl.RTA_DST, InetAddress.getByName("10.244.2.0")).attrU32(Nl.RTA_OIF, 7);
    w.end();
    byte[] del = new byte[w.length()];
    b.get(0, del);
    k.reply(del);
    for (int i = 0; i < 1000; i++) {
      k.fail(Errno.EAGAIN); // receive timeouts while idle
    }
    Subscription s = EventSubscription.start(k, events::add, "fake");
    try {
      assertInstanceOf(NetlinkEvent.Overrun.class, events.poll(5, TimeUnit.SECONDS));
      NetlinkEvent.RouteDeleted rd = assertInstanceOf(NetlinkEvent.RouteDeleted.class, events.poll(5, TimeUnit.SECONDS));
      assertEquals(7, rd.route().linkIndex());
      assertEquals(InetAddress.getByName("10.244.2.0"), rd.route().dst());
      assertTrue(rd.route().isOnlink());
    } finally {
      s.close();
    }
  }
}
