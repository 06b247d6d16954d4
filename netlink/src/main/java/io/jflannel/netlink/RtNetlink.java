package io.jflannel.netlink;

import io.jflannel.netlink.codec.MessageWriter;
import io.jflannel.netlink.codec.Replies;
import io.jflannel.netlink.codec.Requests;
import io.jflannel.netlink.socket.NetlinkSocket;
import io.jflannel.netlink.socket.NetnsThread;
import io.jflannel.netlink.socket.Transport;
import java.net.InetAddress;
import java.nio.BufferOverflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.IntFunction;
import java.util.function.Supplier;

import static io.jflannel.netlink.codec.Nl.*;

/**
 * The {@link Netlink} implementation: one request socket, one reused pair of direct buffers,
 * every public verb synchronized. Kept free of byte layouts (those live in the codec).
 */
final class RtNetlink implements Netlink {
  /** Requested SO_RCVBUF/SO_SNDBUF: big enough for thousands of queued ACKs. */
  static final int SOCKET_BUFFER_BYTES = 32 << 20;
  /** Kernel accounting of one queued ACK (skb truesize), generously rounded up. */
  static final int ACK_TRUESIZE_ESTIMATE = 1024;
  /** Upper bound of the outstanding-request window; {@code -Djflannel.netlink.maxWindow=N} overrides (benchmarks). */
  static final int MAX_WINDOW = Integer.getInteger("jflannel.netlink.maxWindow", 4096);
  static final int MIN_WINDOW = 16;
  static final int DUMP_ATTEMPTS = 10;
  /**
   * Largest batch datagram. Direct buffers are zeroed, so every byte is resident for the
   * socket's life (docs/decisions/0832): 256 KB holds about 1,700 route or neighbour
   * requests per sendmsg, enough to keep the kernel busy between calls.
   */
  private static final int TX_BYTES = 256 << 10;
  /**
   * Receive buffer. One recv returns one datagram: an ACK, or a dump chunk, which the kernel
   * caps at 32 KB (more only for a single message that needs it); a longer datagram is
   * reported as EMSGSIZE, never silently cut.
   */
  private static final int RX_BYTES = 128 << 10;
  private static final int PENDING = -1;

  private final Transport sock;
  private final NetNs ns;
  private final ByteBuffer tx = ByteBuffer.allocateDirect(TX_BYTES).order(ByteOrder.nativeOrder());
  private final ByteBuffer rx = ByteBuffer.allocateDirect(RX_BYTES).order(ByteOrder.nativeOrder());
  private final MessageWriter w = new MessageWriter(tx);
  private final int maxSendBytes;
  private int window;
  private int seq = (int) (System.nanoTime() & 0x3fffffff);
  private boolean closed;

  RtNetlink(Transport sock, NetNs ns) {
    this.sock = sock;
    this.ns = ns;
    int rcv = sock.receiveBufferSize();
    this.window = Math.max(MIN_WINDOW, Math.min(MAX_WINDOW, rcv / ACK_TRUESIZE_ESTIMATE));
    int snd = sock.sendBufferSize();
    // netlink refuses a datagram longer than sk_sndbuf - 32
    this.maxSendBytes = Math.max(4096, Math.min(TX_BYTES, (snd > 0 ? snd : TX_BYTES) - 64));
  }

  static Netlink open(NetNs ns) throws NetlinkException {
    return new RtNetlink(openSocket(ns, new int[0], 0, SOCKET_BUFFER_BYTES), ns);
  }

  static Transport openSocket(NetNs ns, int[] groups, int timeoutMs, int bufBytes) throws NetlinkException {
    if (!NativeSupport.isAvailable()) {
      Throwable cause = NativeSupport.unavailabilityCause();
      throw new NetlinkException("open netlink socket: native support unavailable (" + cause + ")", 0, null, cause);
    }
    if (ns == null) {
      return NetlinkSocket.open(groups, bufBytes, timeoutMs);
    }
    return NetnsThread.call(ns, () -> NetlinkSocket.open(groups, bufBytes, timeoutMs));
  }

  /** Outstanding-request window used by {@link #apply} (for tests and benchmarks). */
  synchronized int window() {
    return window;
  }

  @Override
  public NetNs namespace() {
    return ns;
  }

  // ---- plumbing -------------------------------------------------------------------------

  @FunctionalInterface
  private interface Encoder {
    void encode(MessageWriter w, int seq);
  }

  @FunctionalInterface
  private interface ReplyHandler {
    void onMessage(ByteBuffer b, int msg);
  }

  @FunctionalInterface
  private interface Decoder<T> {
    T decode(ByteBuffer b, int msg);
  }

  private void ensureOpen(String what) throws NetlinkException {
    if (closed) {
      throw new NetlinkException(what + ": netlink handle is closed", Errno.EBADF, null);
    }
  }

  private int nextSeq() {
    return ++seq;
  }

  /**
   * Sends one request carrying NLM_F_ACK and reads until its ACK: replies with the same
   * sequence number go to {@code h}; an error ACK becomes a NetlinkException described by
   * {@code what} (evaluated only on failure, since it may look up link names).
   */
  private void exchange(Supplier<String> what, Encoder enc, ReplyHandler h) throws NetlinkException {
    int s = nextSeq();
    w.clear();
    enc.encode(w, s);
    sock.send(tx, w.length());
    for (;;) {
      int n = sock.receive(rx);
      for (int m = 0; Replies.hasMessage(rx, m, n); m = Replies.next(rx, m)) {
        if (Replies.seq(rx, m) != s) {
          continue; // late answer to an earlier request
        }
        int type = Replies.type(rx, m);
        if (type == NLMSG_ERROR) {
          int errno = Replies.errno(rx, m);
          if (errno == 0) {
            return;
          }
          String ext = Replies.extAck(rx, m);
          throw new NetlinkException(what.get(), errno, ext);
        }
        if (h != null && type != NLMSG_NOOP && type != NLMSG_DONE) {
          h.onMessage(rx, m);
        }
      }
    }
  }

  /** A multipart dump until NLMSG_DONE; repeated when the kernel flags it NLM_F_DUMP_INTR. */
  private <T> List<T> dump(String what, int type, int family, Decoder<T> dec) throws NetlinkException {
    ensureOpen(what);
    for (int attempt = 1; attempt <= DUMP_ATTEMPTS; attempt++) {
      List<T> out = new ArrayList<>();
      boolean interrupted = false;
      int s = nextSeq();
      w.clear();
      Requests.dump(w, s, type, family);
      sock.send(tx, w.length());
      boolean done = false;
      while (!done) {
        int n = sock.receive(rx);
        for (int m = 0; Replies.hasMessage(rx, m, n); m = Replies.next(rx, m)) {
          if (Replies.seq(rx, m) != s) {
            continue;
          }
          if ((Replies.flags(rx, m) & NLM_F_DUMP_INTR) != 0) {
            interrupted = true;
          }
          int t = Replies.type(rx, m);
          if (t == NLMSG_DONE) {
            int errno = Replies.doneErrno(rx, m);
            if (errno != 0) {
              throw new NetlinkException(what, errno, Replies.doneExtAck(rx, m));
            }
            done = true;
            break;
          }
          if (t == NLMSG_ERROR) {
            int errno = Replies.errno(rx, m);
            if (errno != 0) {
              throw new NetlinkException(what, errno, Replies.extAck(rx, m));
            }
            continue;
          }
          if (t == NLMSG_NOOP) {
            continue;
          }
          T v = dec.decode(rx, m);
          if (v != null) {
            out.add(v);
          }
        }
      }
      if (!interrupted) {
        return out;
      }
    }
    throw new NetlinkException(what + ": dump was interrupted by concurrent changes (NLM_F_DUMP_INTR) "
        + DUMP_ATTEMPTS + " times in a row", Errno.EINTR, null);
  }

  /** Name of a link for messages; null when it cannot be found. Only used on error paths. */
  private String nameOf(int index) {
    try {
      return link(index).map(Link::name).orElse(null);
    } catch (NetlinkException e) {
      return null;
    }
  }

  // ---- links ----------------------------------------------------------------------------

  @Override
  public synchronized Optional<Link> link(String name) throws NetlinkException {
    Link.checkName(name);
    String what = "link show dev " + name;
    ensureOpen(what);
    List<Link> found = new ArrayList<>(1);
    try {
      exchange(() -> what, (w, s) -> Requests.getLink(w, s, 0, name),
          (b, m) -> { if (Replies.type(b, m) == RTM_NEWLINK) { found.add(Replies.link(b, m)); } });
    } catch (NetlinkException e) {
      if (e.errno() == Errno.ENODEV) {
        return Optional.empty();
      }
      throw e;
    }
    return found.stream().findFirst();
  }

  @Override
  public synchronized Optional<Link> link(int index) throws NetlinkException {
    if (index <= 0) {
      throw new IllegalArgumentException("link index must be positive, got " + index);
    }
    String what = "link show index " + index;
    ensureOpen(what);
    List<Link> found = new ArrayList<>(1);
    try {
      exchange(() -> what, (w, s) -> Requests.getLink(w, s, index, null),
          (b, m) -> { if (Replies.type(b, m) == RTM_NEWLINK) { found.add(Replies.link(b, m)); } });
    } catch (NetlinkException e) {
      if (e.errno() == Errno.ENODEV) {
        return Optional.empty();
      }
      throw e;
    }
    return found.stream().findFirst();
  }

  @Override
  public synchronized List<Link> links() throws NetlinkException {
    return dump("link show", RTM_GETLINK, 0, Replies::link);
  }

  @Override
  public synchronized Link createVxlan(VxlanSpec spec) throws NetlinkException {
    Supplier<String> what = () -> describeVxlan(spec);
    ensureOpen("link add " + spec.name());
    exchange(what, (w, s) -> Requests.createVxlan(w, s, spec), null);
    return link(spec.name()).orElseThrow(() -> new NetlinkException(what.get()
        + ": created, but the link vanished before it could be read back", Errno.ENODEV, null));
  }

  private String describeVxlan(VxlanSpec spec) {
    VxlanAttrs a = spec.attrs();
    StringBuilder sb = new StringBuilder("link add ").append(spec.name());
    if (spec.mac() != null) {
      sb.append(" address ").append(spec.mac());
    }
    if (spec.mtu() > 0) {
      sb.append(" mtu ").append(spec.mtu());
    }
    sb.append(" type vxlan id ").append(a.vni());
    if (a.parentIndex() != 0) {
      sb.append(" dev ").append(Describe.dev(a.parentIndex(), this::nameOf));
    }
    if (a.local() != null) {
      sb.append(" local ").append(a.local().getHostAddress());
    }
    if (a.port() != 0) {
      sb.append(" dstport ").append(a.port());
    }
    sb.append(a.learning() ? " learning" : " nolearning");
    if (a.gbp()) {
      sb.append(" gbp");
    }
    if (a.ttl() != 0) {
      sb.append(" ttl ").append(a.ttl());
    }
    return sb.toString();
  }

  private void linkSet(int index, String verb, Encoder enc) throws NetlinkException {
    if (index <= 0) {
      throw new IllegalArgumentException("link index must be positive, got " + index);
    }
    ensureOpen("link " + verb);
    exchange(() -> "link " + verb.replace("%s", Describe.dev(index, this::nameOf)), enc, null);
  }

  @Override
  public synchronized void deleteLink(int index) throws NetlinkException {
    linkSet(index, "del dev %s", (w, s) -> Requests.deleteLink(w, s, index));
  }

  @Override
  public synchronized void setUp(int index) throws NetlinkException {
    linkSet(index, "set dev %s up", (w, s) -> Requests.setLinkUp(w, s, index, true));
  }

  @Override
  public synchronized void setDown(int index) throws NetlinkException {
    linkSet(index, "set dev %s down", (w, s) -> Requests.setLinkUp(w, s, index, false));
  }

  @Override
  public synchronized void setMtu(int index, int mtu) throws NetlinkException {
    if (mtu <= 0) {
      throw new IllegalArgumentException("MTU must be positive, got " + mtu);
    }
    linkSet(index, "set dev %s mtu " + mtu, (w, s) -> Requests.setLinkMtu(w, s, index, mtu));
  }

  @Override
  public synchronized void setHardwareAddress(int index, MacAddress mac) throws NetlinkException {
    if (mac == null) {
      throw new IllegalArgumentException("hardware address is null");
    }
    linkSet(index, "set dev %s address " + mac, (w, s) -> Requests.setLinkAddress(w, s, index, mac));
  }

  // ---- single ops (addresses, routes, neighbours, FDB) ------------------------------------

  private void single(NetlinkOp op) throws NetlinkException {
    ensureOpen("netlink request");
    exchange(() -> op.describe(this::nameOf), (w, s) -> Requests.op(w, op, s), null);
  }

  @Override
  public synchronized List<Addr> addrs(int linkIndex, int family) throws NetlinkException {
    List<Addr> all = dump("addr show", RTM_GETADDR, family, Replies::addr);
    if (linkIndex != 0) {
      all.removeIf(a -> a.linkIndex() != linkIndex);
    }
    return all;
  }

  @Override
  public synchronized void addrAdd(Addr a) throws NetlinkException {
    single(NetlinkOp.addrAdd(a));
  }

  @Override
  public synchronized void addrReplace(Addr a) throws NetlinkException {
    single(NetlinkOp.addrReplace(a));
  }

  @Override
  public synchronized void addrDelete(Addr a) throws NetlinkException {
    single(NetlinkOp.addrDelete(a));
  }

  @Override
  public synchronized void routeReplace(Route r) throws NetlinkException {
    single(NetlinkOp.routeReplace(r));
  }

  @Override
  public synchronized void routeAdd(Route r) throws NetlinkException {
    single(NetlinkOp.routeAdd(r));
  }

  @Override
  public synchronized void routeDelete(Route r) throws NetlinkException {
    single(NetlinkOp.routeDelete(r));
  }

  @Override
  public synchronized List<Route> routes(RouteFilter f) throws NetlinkException {
    RouteFilter filter = f == null ? RouteFilter.ALL : f;
    return dump("route show", RTM_GETROUTE, filter.family(), (b, m) -> {
      if (Replies.type(b, m) != RTM_NEWROUTE || Replies.isClonedRoute(b, m)) {
        return null;
      }
      Route r = Replies.route(b, m);
      return r != null && filter.matches(r) ? r : null;
    });
  }

  @Override
  public synchronized Optional<Route> routeGet(InetAddress dst) throws NetlinkException {
    if (dst == null) {
      throw new IllegalArgumentException("route get: destination is null");
    }
    String what = "route get " + dst.getHostAddress();
    ensureOpen(what);
    List<Route> found = new ArrayList<>(1);
    try {
      exchange(() -> what, (w, s) -> Requests.routeGet(w, s, dst),
          (b, m) -> { if (Replies.type(b, m) == RTM_NEWROUTE) { found.add(Replies.route(b, m)); } });
    } catch (NetlinkException e) {
      if (e.errno() == Errno.ENETUNREACH || e.errno() == Errno.EHOSTUNREACH) {
        return Optional.empty();
      }
      throw e;
    }
    return found.stream().filter(r -> r != null).findFirst();
  }

  @Override
  public synchronized void neighReplace(Neigh n) throws NetlinkException {
    single(NetlinkOp.neighReplace(n));
  }

  @Override
  public synchronized void neighDelete(Neigh n) throws NetlinkException {
    single(NetlinkOp.neighDelete(n));
  }

  @Override
  public synchronized List<Neigh> neighs(int linkIndex, int family) throws NetlinkException {
    // AF_UNSPEC would also return the bridge family (FDB); keep IP neighbours only.
    return dump("neigh show", RTM_GETNEIGH, family, (b, m) -> {
      int fam = Replies.neighFamily(b, m);
      if (Replies.type(b, m) != RTM_NEWNEIGH || (fam != Families.AF_INET && fam != Families.AF_INET6)) {
        return null;
      }
      Neigh x = Replies.neigh(b, m);
      return x != null && (linkIndex == 0 || x.linkIndex() == linkIndex) ? x : null;
    });
  }

  @Override
  public synchronized void fdbReplace(FdbEntry e) throws NetlinkException {
    single(NetlinkOp.fdbReplace(e));
  }

  @Override
  public synchronized void fdbAppend(FdbEntry e) throws NetlinkException {
    single(NetlinkOp.fdbAppend(e));
  }

  @Override
  public synchronized void fdbDelete(FdbEntry e) throws NetlinkException {
    single(NetlinkOp.fdbDelete(e));
  }

  @Override
  public synchronized List<FdbEntry> fdb(int linkIndex) throws NetlinkException {
    return dump("fdb show", RTM_GETNEIGH, Families.AF_BRIDGE, (b, m) -> {
      if (Replies.type(b, m) != RTM_NEWNEIGH || Replies.neighFamily(b, m) != Families.AF_BRIDGE) {
        return null;
      }
      FdbEntry x = Replies.fdb(b, m);
      return x != null && (linkIndex == 0 || x.linkIndex() == linkIndex) ? x : null;
    });
  }

  // ---- batches ----------------------------------------------------------------------------

  /**
   * Pipelined batch: fill the send buffer with up to {@code window} requests (each with its
   * own sequence number and NLM_F_ACK), send them in one datagram, then read their ACKs and
   * match them by sequence number. The kernel handles a datagram's messages one after the
   * other and keeps going after a failure, so every request gets exactly one ACK. The window
   * keeps the queued ACKs below the receive buffer, so none are dropped (ENOBUFS).
   */
  @Override
  public synchronized BatchResult apply(List<NetlinkOp> ops) throws NetlinkException {
    ensureOpen("batch");
    int n = ops.size();
    if (n == 0) {
      return new BatchResult(0, List.of());
    }
    int base = seq + 1;
    seq += n;
    int[] errnos = new int[n];
    java.util.Arrays.fill(errnos, PENDING);
    Map<Integer, String> extAcks = null;
    int sent = 0;
    int answered = 0;
    while (answered < n) {
      w.clear();
      int chunkStart = sent;
      while (sent < n && sent - answered < window && w.length() < maxSendBytes - 1024) {
        try {
          Requests.op(w, ops.get(sent), base + sent);
        } catch (BufferOverflowException e) {
          w.abort();
          break;
        }
        sent++;
      }
      if (sent == chunkStart) {
        throw new IllegalStateException("batch request " + sent + " does not fit the send buffer");
      }
      sock.send(tx, w.length());
      while (answered < sent) {
        int len;
        try {
          len = sock.receive(rx);
        } catch (NetlinkException e) {
          if (e.errno() != Errno.ENOBUFS) {
            throw e;
          }
          // ACKs were dropped: the requests of this window have unknown outcome; report them.
          for (int i = 0; i < sent; i++) {
            if (errnos[i] == PENDING) {
              errnos[i] = Errno.ENOBUFS;
              answered++;
            }
          }
          window = Math.max(MIN_WINDOW, window / 2);
          break;
        }
        for (int m = 0; Replies.hasMessage(rx, m, len); m = Replies.next(rx, m)) {
          if (Replies.type(rx, m) != NLMSG_ERROR) {
            continue;
          }
          int idx = Replies.seq(rx, m) - base;
          if (idx < 0 || idx >= sent || errnos[idx] != PENDING) {
            continue;
          }
          int errno = Replies.errno(rx, m);
          errnos[idx] = errno;
          answered++;
          if (errno != 0) {
            String ext = Replies.extAck(rx, m);
            if (ext != null) {
              if (extAcks == null) {
                extAcks = new HashMap<>();
              }
              extAcks.put(idx, ext);
            }
          }
        }
      }
    }
    List<OpFailure> failures = new ArrayList<>();
    IntFunction<String> names = null;
    for (int i = 0; i < n; i++) {
      if (errnos[i] != 0) {
        if (names == null) {
          names = linkNames();
        }
        String ext = extAcks == null ? null : extAcks.get(i);
        if (errnos[i] == Errno.ENOBUFS && ext == null) {
          ext = "acknowledgement lost (receive buffer overrun); outcome unknown";
        }
        NetlinkOp op = ops.get(i);
        failures.add(new OpFailure(i, op, new NetlinkException(op.describe(names), errnos[i], ext)));
      }
    }
    return new BatchResult(n - failures.size(), failures);
  }

  /** Index-to-name map from one link dump (error reporting only). */
  private IntFunction<String> linkNames() {
    try {
      Map<Integer, String> m = new HashMap<>();
      for (Link l : links()) {
        m.put(l.index(), l.name());
      }
      return m::get;
    } catch (NetlinkException e) {
      return i -> null;
    }
  }

  // ---- notifications ----------------------------------------------------------------------

  @Override
  public Subscription subscribe(Set<Group> groups, Consumer<NetlinkEvent> sink) throws NetlinkException {
    return subscribe(groups, sink, SOCKET_BUFFER_BYTES);
  }

  /** {@link #subscribe} with a chosen receive buffer size (tests provoke overruns with a tiny one). */
  Subscription subscribe(Set<Group> groups, Consumer<NetlinkEvent> sink, int bufBytes) throws NetlinkException {
    if (groups == null || groups.isEmpty()) {
      throw new IllegalArgumentException("subscribe: no groups given");
    }
    if (sink == null) {
      throw new IllegalArgumentException("subscribe: sink is null");
    }
    int[] ids = groups.stream().mapToInt(Group::id).toArray();
    Transport t = openSocket(ns, ids, EventSubscription.POLL_MS, bufBytes);
    return EventSubscription.start(t, sink, ns == null ? "current" : ns.name());
  }

  @Override
  public synchronized void close() {
    if (!closed) {
      closed = true;
      sock.close();
    }
  }
}
