package io.jflannel.netlink;

import java.net.InetAddress;

/**
 * Which routes {@link Netlink#routes(RouteFilter)} returns. Zero / null fields match anything.
 *
 * @param family          AF_INET, AF_INET6 or 0
 * @param table           table id or 0 (any table; note that 0 includes the local table)
 * @param linkIndex       output link or 0
 * @param dst             exact destination network or null
 * @param dstPrefixLength prefix length matched together with dst
 */
public record RouteFilter(int family, int table, int linkIndex, InetAddress dst, int dstPrefixLength) {
  /** Every route in every table. */
  public static final RouteFilter ALL = new RouteFilter(0, 0, 0, null, 0);

  /** Routes of the main table in one family (0 = both). */
  public static RouteFilter main(int family) {
    return new RouteFilter(family, Route.RT_TABLE_MAIN, 0, null, 0);
  }

  /** Routes of the main table leaving through a link. */
  public static RouteFilter mainOnLink(int linkIndex) {
    return new RouteFilter(0, Route.RT_TABLE_MAIN, linkIndex, null, 0);
  }

  public RouteFilter withLink(int idx) {
    return new RouteFilter(family, table, idx, dst, dstPrefixLength);
  }

  public RouteFilter withDst(InetAddress d, int len) {
    return new RouteFilter(family, table, linkIndex, d, len);
  }

  public RouteFilter withTable(int t) {
    return new RouteFilter(family, t, linkIndex, dst, dstPrefixLength);
  }

  /** Whether a route passes this filter. */
  public boolean matches(Route r) {
    if (family != 0 && r.family() != family) {
      return false;
    }
    if (table != 0 && r.table() != table) {
      return false;
    }
    if (linkIndex != 0 && r.linkIndex() != linkIndex) {
      return false;
    }
    if (dst != null) {
      return dst.equals(r.dst()) && dstPrefixLength == r.dstPrefixLength();
    }
    return true;
  }
}
