package io.jflannel.netlink;

import io.jflannel.netlink.codec.Replies;
import io.jflannel.netlink.socket.Transport;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static io.jflannel.netlink.codec.Nl.*;

/**
 * Reads multicast notifications on its own socket and daemon thread and turns them into
 * {@link NetlinkEvent}s. The socket has a short receive timeout so {@link #close()} is
 * noticed without signals.
 */
final class EventSubscription implements Subscription {
  static final int POLL_MS = 100;
  private static final Logger LOG = LoggerFactory.getLogger(EventSubscription.class);

  private final Transport sock;
  private final Consumer<NetlinkEvent> sink;
  /** One notification per datagram, each a single object's message (docs/decisions/0832). */
  private final ByteBuffer rx = ByteBuffer.allocateDirect(64 << 10).order(ByteOrder.nativeOrder());
  private volatile boolean open = true;
  private Thread thread;

  private EventSubscription(Transport sock, Consumer<NetlinkEvent> sink) {
    this.sock = sock;
    this.sink = sink;
  }

  static EventSubscription start(Transport sock, Consumer<NetlinkEvent> sink, String nsName) {
    EventSubscription s = new EventSubscription(sock, sink);
    s.thread = new Thread(s::run, "jfl-netlink-events-" + nsName);
    s.thread.setDaemon(true);
    s.thread.start();
    return s;
  }

  private void run() {
    try {
      while (open) {
        int n;
        try {
          n = sock.receive(rx);
        } catch (NetlinkException e) {
          if (!open) {
            return;
          }
          if (e.errno() == Errno.EAGAIN || e.errno() == Errno.EINTR) {
            continue;
          }
          if (e.errno() == Errno.ENOBUFS) {
            deliver(new NetlinkEvent.Overrun());
            continue;
          }
          LOG.error("netlink notification socket failed, subscription ends", e);
          open = false;
          return;
        }
        for (int m = 0; Replies.hasMessage(rx, m, n); m = Replies.next(rx, m)) {
          NetlinkEvent ev = decode(rx, m);
          if (ev != null) {
            deliver(ev);
          }
        }
      }
    } finally {
      sock.close();
    }
  }

  private void deliver(NetlinkEvent ev) {
    try {
      sink.accept(ev);
    } catch (RuntimeException e) {
      LOG.warn("netlink event consumer failed on {}", ev, e);
    }
  }

  /** Maps one notification to an event, or null for kinds we do not report. */
  static NetlinkEvent decode(ByteBuffer b, int m) {
    int type = Replies.type(b, m);
    switch (type) {
      case RTM_NEWLINK:
        return new NetlinkEvent.LinkChanged(Replies.link(b, m));
      case RTM_DELLINK:
        return new NetlinkEvent.LinkDeleted(Replies.link(b, m));
      case RTM_NEWROUTE:
      case RTM_DELROUTE: {
        Route r = Replies.route(b, m);
        if (r == null) {
          return null;
        }
        return type == RTM_NEWROUTE ? new NetlinkEvent.RouteAdded(r) : new NetlinkEvent.RouteDeleted(r);
      }
      case RTM_NEWNEIGH:
      case RTM_DELNEIGH: {
        boolean add = type == RTM_NEWNEIGH;
        int fam = Replies.neighFamily(b, m);
        if (fam == Families.AF_BRIDGE) {
          FdbEntry e = Replies.fdb(b, m);
          return e == null ? null : add ? new NetlinkEvent.FdbAdded(e) : new NetlinkEvent.FdbDeleted(e);
        }
        Neigh x = Replies.neigh(b, m);
        return x == null ? null : add ? new NetlinkEvent.NeighAdded(x) : new NetlinkEvent.NeighDeleted(x);
      }
      case RTM_NEWADDR:
      case RTM_DELADDR: {
        Addr a = Replies.addr(b, m);
        return a == null ? null : type == RTM_NEWADDR ? new NetlinkEvent.AddrAdded(a) : new NetlinkEvent.AddrDeleted(a);
      }
      default:
        return null;
    }
  }

  @Override
  public boolean isOpen() {
    return open && thread.isAlive();
  }

  @Override
  public void close() {
    open = false;
    if (thread != Thread.currentThread()) {
      try {
        thread.join(5L * POLL_MS + 1000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
