package io.jflannel.backend;

import io.jflannel.netlink.Addr;
import io.jflannel.netlink.BatchResult;
import io.jflannel.netlink.FdbEntry;
import io.jflannel.netlink.Group;
import io.jflannel.netlink.Link;
import io.jflannel.netlink.Neigh;
import io.jflannel.netlink.NetNs;
import io.jflannel.netlink.Netlink;
import io.jflannel.netlink.NetlinkEvent;
import io.jflannel.netlink.NetlinkException;
import io.jflannel.netlink.NetlinkOp;
import io.jflannel.netlink.OpFailure;
import io.jflannel.netlink.Route;
import io.jflannel.netlink.RouteFilter;
import io.jflannel.netlink.Subscription;
import io.jflannel.netlink.VxlanSpec;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.ToIntFunction;

/**
 * An in-memory kernel for unit tests: routes, neighbours and FDB entries in slots keyed
 * like the kernel's, with injectable failures and change notifications.
 */
public final class FakeNetlink implements Netlink {
  final Map<Object, Route> routes = new LinkedHashMap<>();
  final Map<Object, Neigh> neighs = new LinkedHashMap<>();
  final Map<Object, FdbEntry> fdb = new LinkedHashMap<>();
  final List<List<NetlinkOp>> batches = new ArrayList<>();
  /** errno to fail an op with, 0 = succeed. */
  volatile ToIntFunction<NetlinkOp> failWith = op -> 0;
  volatile Consumer<NetlinkEvent> sink;
  /** Links by index, and addresses, for {@link Underlay} tests; empty unless a test adds some. */
  final Map<Integer, Link> links = new java.util.concurrent.ConcurrentHashMap<>();
  final List<Addr> addrList = new java.util.concurrent.CopyOnWriteArrayList<>();

  @Override
  public NetNs namespace() {
    return null;
  }

  @Override
  public Optional<Link> link(String name) {
    return links.values().stream().filter(l -> l.name().equals(name)).findFirst();
  }

  @Override
  public Optional<Link> link(int index) {
    return Optional.ofNullable(links.get(index));
  }

  @Override
  public List<Link> links() {
    return List.of();
  }

  @Override
  public Link createVxlan(VxlanSpec spec) throws NetlinkException {
    throw new NetlinkException("link add", 95, null);
  }

  @Override
  public void deleteLink(int index) {
  }

  @Override
  public void setUp(int index) {
  }

  @Override
  public void setDown(int index) {
  }

  @Override
  public void setMtu(int index, int mtu) {
  }

  @Override
  public void setHardwareAddress(int index, io.jflannel.netlink.MacAddress mac) {
  }

  @Override
  public List<Addr> addrs(int linkIndex, int family) {
    return addrList.stream().filter(a -> (linkIndex == 0 || a.linkIndex() == linkIndex)
        && (family == 0 || a.family() == family)).toList();
  }

  @Override
  public void addrAdd(Addr a) {
  }

  @Override
  public void addrReplace(Addr a) {
  }

  @Override
  public void addrDelete(Addr a) {
  }

  @Override
  public synchronized void routeReplace(Route r) throws NetlinkException {
    one(NetlinkOp.routeReplace(r));
  }

  @Override
  public synchronized void routeAdd(Route r) throws NetlinkException {
    one(NetlinkOp.routeAdd(r));
  }

  @Override
  public synchronized void routeDelete(Route r) throws NetlinkException {
    one(NetlinkOp.routeDelete(r));
  }

  @Override
  public synchronized List<Route> routes(RouteFilter f) {
    return routes.values().stream().filter(f::matches).toList();
  }

  @Override
  public Optional<Route> routeGet(InetAddress dst) {
    return Optional.empty();
  }

  @Override
  public synchronized void neighReplace(Neigh n) throws NetlinkException {
    one(NetlinkOp.neighReplace(n));
  }

  @Override
  public synchronized void neighDelete(Neigh n) throws NetlinkException {
    one(NetlinkOp.neighDelete(n));
  }

  @Override
  public synchronized List<Neigh> neighs(int linkIndex, int family) {
    return neighs.values().stream().filter(n -> linkIndex == 0 || n.linkIndex() == linkIndex).toList();
  }

  @Override
  public synchronized void fdbReplace(FdbEntry e) throws NetlinkException {
    one(NetlinkOp.fdbReplace(e));
  }

  @Override
  public synchronized void fdbAppend(FdbEntry e) throws NetlinkException {
    one(NetlinkOp.fdbAppend(e));
  }

  @Override
  public synchronized void fdbDelete(FdbEntry e) throws NetlinkException {
    one(NetlinkOp.fdbDelete(e));
  }

  @Override
  public synchronized List<FdbEntry> fdb(int linkIndex) {
    return fdb.values().stream().filter(e -> linkIndex == 0 || e.linkIndex() == linkIndex).toList();
  }

  private void one(NetlinkOp op) throws NetlinkException {
    apply(List.of(op)).throwIfFailed();
  }

  @Override
  public synchronized BatchResult apply(List<NetlinkOp> ops) {
    batches.add(List.copyOf(ops));
    List<OpFailure> failures = new ArrayList<>();
    int ok = 0;
    for (int i = 0; i < ops.size(); i++) {
      NetlinkOp op = ops.get(i);
      int errno = failWith.applyAsInt(op);
      if (errno == 0) {
        errno = exec(op);
      }
      if (errno == 0) {
        ok++;
      } else {
        failures.add(new OpFailure(i, op, new NetlinkException(op.describe(x -> null), errno, null)));
      }
    }
    return new BatchResult(ok, failures);
  }

  private int exec(NetlinkOp op) {
    if (op instanceof NetlinkOp.RouteReplace x) {
      routes.put(ObjectKeys.key(x.route()), x.route());
      emit(new NetlinkEvent.RouteAdded(x.route()));
    } else if (op instanceof NetlinkOp.RouteDelete x) {
      Route r = routes.remove(ObjectKeys.key(x.route()));
      if (r == null) {
        return 3; // ESRCH, as the kernel answers
      }
      emit(new NetlinkEvent.RouteDeleted(r));
    } else if (op instanceof NetlinkOp.NeighReplace x) {
      neighs.put(ObjectKeys.key(x.neigh()), x.neigh());
      emit(new NetlinkEvent.NeighAdded(x.neigh()));
    } else if (op instanceof NetlinkOp.NeighDelete x) {
      Neigh n = neighs.remove(ObjectKeys.key(x.neigh()));
      if (n == null) {
        return 2;
      }
      emit(new NetlinkEvent.NeighDeleted(n));
    } else if (op instanceof NetlinkOp.FdbReplace x) {
      // A replace on a VXLAN device rewrites the destination of an entry with the same MAC.
      fdb.values().removeIf(e -> e.linkIndex() == x.entry().linkIndex() && e.mac().equals(x.entry().mac()));
      fdb.put(ObjectKeys.key(x.entry()), x.entry());
      emit(new NetlinkEvent.FdbAdded(x.entry()));
    } else if (op instanceof NetlinkOp.FdbDelete x) {
      FdbEntry e = fdb.remove(ObjectKeys.key(x.entry()));
      if (e == null) {
        return 2;
      }
      emit(new NetlinkEvent.FdbDeleted(e));
    } else {
      return 95;
    }
    return 0;
  }

  private void emit(NetlinkEvent e) {
    Consumer<NetlinkEvent> s = sink;
    if (s != null) {
      s.accept(e);
    }
  }

  /** Simulates someone running {@code ip route del} etc.: the object goes, a notification follows. */
  synchronized void externalDelete(Object key) {
    Route r = routes.remove(key);
    if (r != null) {
      emit(new NetlinkEvent.RouteDeleted(r));
    }
    Neigh n = neighs.remove(key);
    if (n != null) {
      emit(new NetlinkEvent.NeighDeleted(n));
    }
    FdbEntry e = fdb.remove(key);
    if (e != null) {
      emit(new NetlinkEvent.FdbDeleted(e));
    }
  }

  int requestCount() {
    synchronized (this) {
      return batches.stream().mapToInt(List::size).sum();
    }
  }

  @Override
  public Subscription subscribe(Set<Group> groups, Consumer<NetlinkEvent> s) {
    sink = s;
    return new Subscription() {
      @Override
      public boolean isOpen() {
        return sink != null;
      }

      @Override
      public void close() {
        sink = null;
      }
    };
  }

  @Override
  public void close() {
  }
}
