package io.jflannel.netlink;

import java.util.function.IntFunction;

/**
 * One change request in a {@link Netlink#apply batch}. Build with the static factories,
 * e.g. {@code NetlinkOp.routeReplace(r)}.
 */
public sealed interface NetlinkOp {

  /**
   * The operation in iproute2 words, e.g.
   * {@code route replace 10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink}.
   *
   * @param linkName resolves an interface index to its name (may return null)
   */
  String describe(IntFunction<String> linkName);

  static NetlinkOp routeReplace(Route r) {
    return new RouteReplace(r);
  }

  static NetlinkOp routeAdd(Route r) {
    return new RouteAdd(r);
  }

  static NetlinkOp routeDelete(Route r) {
    return new RouteDelete(r);
  }

  static NetlinkOp neighReplace(Neigh n) {
    return new NeighReplace(n);
  }

  static NetlinkOp neighDelete(Neigh n) {
    return new NeighDelete(n);
  }

  static NetlinkOp fdbReplace(FdbEntry e) {
    return new FdbReplace(e);
  }

  static NetlinkOp fdbAppend(FdbEntry e) {
    return new FdbAppend(e);
  }

  static NetlinkOp fdbDelete(FdbEntry e) {
    return new FdbDelete(e);
  }

  static NetlinkOp addrAdd(Addr a) {
    return new AddrAdd(a);
  }

  static NetlinkOp addrReplace(Addr a) {
    return new AddrReplace(a);
  }

  static NetlinkOp addrDelete(Addr a) {
    return new AddrDelete(a);
  }

  /** {@code ip route replace}. */
  record RouteReplace(Route route) implements NetlinkOp {
    public String describe(IntFunction<String> n) {
      return "route replace " + Describe.route(route, n);
    }
  }

  /** {@code ip route add}. */
  record RouteAdd(Route route) implements NetlinkOp {
    public String describe(IntFunction<String> n) {
      return "route add " + Describe.route(route, n);
    }
  }

  /** {@code ip route del}. */
  record RouteDelete(Route route) implements NetlinkOp {
    public String describe(IntFunction<String> n) {
      return "route del " + Describe.route(route, n);
    }
  }

  /** {@code ip neigh replace}. */
  record NeighReplace(Neigh neigh) implements NetlinkOp {
    public String describe(IntFunction<String> n) {
      return "neigh replace " + Describe.neigh(neigh, n);
    }
  }

  /** {@code ip neigh del}. */
  record NeighDelete(Neigh neigh) implements NetlinkOp {
    public String describe(IntFunction<String> n) {
      return "neigh del " + Describe.neigh(neigh, n);
    }
  }

  /** {@code bridge fdb replace}. */
  record FdbReplace(FdbEntry entry) implements NetlinkOp {
    public String describe(IntFunction<String> n) {
      return "fdb replace " + Describe.fdb(entry, n);
    }
  }

  /** {@code bridge fdb append}. */
  record FdbAppend(FdbEntry entry) implements NetlinkOp {
    public String describe(IntFunction<String> n) {
      return "fdb append " + Describe.fdb(entry, n);
    }
  }

  /** {@code bridge fdb del}. */
  record FdbDelete(FdbEntry entry) implements NetlinkOp {
    public String describe(IntFunction<String> n) {
      return "fdb del " + Describe.fdb(entry, n);
    }
  }

  /** {@code ip addr add}. */
  record AddrAdd(Addr addr) implements NetlinkOp {
    public String describe(IntFunction<String> n) {
      return "addr add " + Describe.addr(addr, n);
    }
  }

  /** {@code ip addr replace}. */
  record AddrReplace(Addr addr) implements NetlinkOp {
    public String describe(IntFunction<String> n) {
      return "addr replace " + Describe.addr(addr, n);
    }
  }

  /** {@code ip addr del}. */
  record AddrDelete(Addr addr) implements NetlinkOp {
    public String describe(IntFunction<String> n) {
      return "addr del " + Describe.addr(addr, n);
    }
  }
}
