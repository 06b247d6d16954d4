package io.jflannel.netlink.codec;

import io.jflannel.netlink.Addr;
import io.jflannel.netlink.Families;
import io.jflannel.netlink.FdbEntry;
import io.jflannel.netlink.Link;
import io.jflannel.netlink.MacAddress;
import io.jflannel.netlink.Neigh;
import io.jflannel.netlink.NetlinkOp;
import io.jflannel.netlink.Route;
import io.jflannel.netlink.VxlanAttrs;
import io.jflannel.netlink.VxlanSpec;
import java.net.Inet4Address;
import java.net.InetAddress;

import static io.jflannel.netlink.codec.Nl.*;

/**
 * Encodes rtnetlink requests the way iproute2 does (same attributes, same order), so the
 * bytes can be compared with captures of {@code ip}/{@code bridge}. Every modifying request
 * carries NLM_F_ACK. Pure: writes into a {@link MessageWriter}, no I/O.
 */
public final class Requests {
  /** add: create, fail if present. */
  public static final int CREATE_EXCL = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
  /** replace: create or overwrite. */
  public static final int CREATE_REPLACE = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE;
  /** append (FDB): add another entry for the same key. */
  public static final int CREATE_APPEND = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_APPEND;
  /** delete / set. */
  public static final int PLAIN_ACK = NLM_F_REQUEST | NLM_F_ACK;

  private Requests() {
  }

  /** Any batchable op. */
  public static void op(MessageWriter w, NetlinkOp op, int seq) {
    if (op instanceof NetlinkOp.RouteReplace o) {
      route(w, RTM_NEWROUTE, CREATE_REPLACE, seq, o.route());
    } else if (op instanceof NetlinkOp.RouteAdd o) {
      route(w, RTM_NEWROUTE, CREATE_EXCL, seq, o.route());
    } else if (op instanceof NetlinkOp.RouteDelete o) {
      route(w, RTM_DELROUTE, PLAIN_ACK, seq, o.route());
    } else if (op instanceof NetlinkOp.NeighReplace o) {
      neigh(w, RTM_NEWNEIGH, CREATE_REPLACE, seq, o.neigh());
    } else if (op instanceof NetlinkOp.NeighDelete o) {
      neigh(w, RTM_DELNEIGH, PLAIN_ACK, seq, o.neigh());
    } else if (op instanceof NetlinkOp.FdbReplace o) {
      fdb(w, RTM_NEWNEIGH, CREATE_REPLACE, seq, o.entry());
    } else if (op instanceof NetlinkOp.FdbAppend o) {
      fdb(w, RTM_NEWNEIGH, CREATE_APPEND, seq, o.entry());
    } else if (op instanceof NetlinkOp.FdbDelete o) {
      fdb(w, RTM_DELNEIGH, PLAIN_ACK, seq, o.entry());
    } else if (op instanceof NetlinkOp.AddrAdd o) {
      addr(w, RTM_NEWADDR, CREATE_EXCL, seq, o.addr());
    } else if (op instanceof NetlinkOp.AddrReplace o) {
      addr(w, RTM_NEWADDR, CREATE_REPLACE, seq, o.addr());
    } else if (op instanceof NetlinkOp.AddrDelete o) {
      addr(w, RTM_DELADDR, PLAIN_ACK, seq, o.addr());
    } else {
      throw new IllegalArgumentException("unknown netlink op " + op);
    }
  }

  /** {@code ip link add NAME [address MAC] [mtu MTU] type vxlan ...}. */
  public static void createVxlan(MessageWriter w, int seq, VxlanSpec spec) {
    VxlanAttrs a = spec.attrs();
    w.begin(RTM_NEWLINK, CREATE_EXCL, seq).ifinfomsg(0, 0, 0, 0, 0);
    if (spec.mac() != null) {
      w.attrMac(IFLA_ADDRESS, spec.mac().value());
    }
    if (spec.mtu() > 0) {
      w.attrU32(IFLA_MTU, spec.mtu());
    }
    w.attrString(IFLA_IFNAME, spec.name());
    int info = w.beginNested(IFLA_LINKINFO);
    w.attrStringNoNul(IFLA_INFO_KIND, "vxlan");
    int data = w.beginNested(IFLA_INFO_DATA);
    // iproute2's order: link, gbp, ttl, id, local, learning, port
    if (a.parentIndex() != 0) {
      w.attrU32(IFLA_VXLAN_LINK, a.parentIndex());
    }
    if (a.gbp()) {
      w.attrFlag(IFLA_VXLAN_GBP);
    }
    if (a.ttl() != 0) {
      w.attrU8(IFLA_VXLAN_TTL, a.ttl());
    }
    w.attrU32(IFLA_VXLAN_ID, a.vni());
    if (a.local() != null) {
      w.attrAddress(a.local() instanceof Inet4Address ? IFLA_VXLAN_LOCAL : IFLA_VXLAN_LOCAL6, a.local());
    }
    w.attrU8(IFLA_VXLAN_LEARNING, a.learning() ? 1 : 0);
    if (a.port() != 0) {
      w.attrU16Be(IFLA_VXLAN_PORT, a.port());
    }
    w.endNested(data);
    w.endNested(info);
    w.end();
  }

  /** {@code ip link set dev IDX up|down}: ifi_flags/ifi_change on IFF_UP. */
  public static void setLinkUp(MessageWriter w, int seq, int index, boolean up) {
    w.begin(RTM_NEWLINK, PLAIN_ACK, seq).ifinfomsg(0, 0, index, up ? Link.IFF_UP : 0, Link.IFF_UP).end();
  }

  /** {@code ip link set dev IDX mtu MTU}. */
  public static void setLinkMtu(MessageWriter w, int seq, int index, int mtu) {
    w.begin(RTM_NEWLINK, PLAIN_ACK, seq).ifinfomsg(0, 0, index, 0, 0).attrU32(IFLA_MTU, mtu).end();
  }

  /** {@code ip link set dev IDX address MAC}. */
  public static void setLinkAddress(MessageWriter w, int seq, int index, MacAddress mac) {
    w.begin(RTM_NEWLINK, PLAIN_ACK, seq).ifinfomsg(0, 0, index, 0, 0).attrMac(IFLA_ADDRESS, mac.value()).end();
  }

  /** {@code ip link del dev IDX}. */
  public static void deleteLink(MessageWriter w, int seq, int index) {
    w.begin(RTM_DELLINK, PLAIN_ACK, seq).ifinfomsg(0, 0, index, 0, 0).end();
  }

  /** RTM_GETLINK for one link, by index (name null) or by name. */
  public static void getLink(MessageWriter w, int seq, int index, String name) {
    w.begin(RTM_GETLINK, PLAIN_ACK, seq).ifinfomsg(0, 0, index, 0, 0);
    if (name != null) {
      w.attrString(IFLA_IFNAME, name);
    }
    w.end();
  }

  /** A dump request: RTM_GETLINK, RTM_GETADDR, RTM_GETROUTE or RTM_GETNEIGH for a family (0 = all). */
  public static void dump(MessageWriter w, int seq, int type, int family) {
    w.begin(type, NLM_F_REQUEST | NLM_F_DUMP, seq);
    switch (type) {
      case RTM_GETLINK -> w.ifinfomsg(family, 0, 0, 0, 0);
      case RTM_GETADDR -> w.ifaddrmsg(family, 0, 0, 0, 0);
      case RTM_GETROUTE -> w.rtmsg(family, 0, 0, 0, 0, 0, 0, 0, 0);
      case RTM_GETNEIGH -> w.ndmsg(family, 0, 0, 0, 0);
      default -> throw new IllegalArgumentException("not a dump request type: " + type);
    }
    w.end();
  }

  /** {@code ip addr add|replace|del ADDR/LEN dev IDX}: IFA_LOCAL and IFA_ADDRESS both set, as iproute2 does. */
  public static void addr(MessageWriter w, int type, int flags, int seq, Addr a) {
    w.begin(type, flags, seq).ifaddrmsg(a.family(), a.prefixLength(), 0, 0, a.linkIndex())
        .attrAddress(IFA_LOCAL, a.address()).attrAddress(IFA_ADDRESS, a.address()).end();
  }

  /**
   * {@code ip route add|replace|del}. Deletes send scope NOWHERE and protocol 0 (match any),
   * and type 0 for unicast routes, as iproute2 does.
   */
  public static void route(MessageWriter w, int type, int flags, int seq, Route r) {
    boolean del = type == RTM_DELROUTE;
    int table = r.table();
    int rtmTable = table < 256 ? table : 0;
    int scope = del ? 255 : r.scope();
    int proto = del ? 0 : r.protocol();
    int rtype = del && r.type() == Route.TYPE_UNICAST ? 0 : r.type();
    w.begin(type, flags, seq).rtmsg(r.family(), r.dstPrefixLength(), 0, 0, rtmTable, proto, scope, rtype,
        r.isOnlink() ? RTNH_F_ONLINK : 0);
    if (r.dst() != null) {
      w.attrAddress(RTA_DST, r.dst());
    }
    if (r.gateway() != null) {
      w.attrAddress(RTA_GATEWAY, r.gateway());
    }
    if (r.prefSrc() != null) {
      w.attrAddress(RTA_PREFSRC, r.prefSrc());
    }
    if (r.priority() != 0) {
      w.attrU32(RTA_PRIORITY, r.priority());
    }
    if (r.linkIndex() != 0) {
      w.attrU32(RTA_OIF, r.linkIndex());
    }
    if (table >= 256) {
      w.attrU32(RTA_TABLE, table);
    }
    w.end();
  }

  /**
   * {@code ip route get DST}: RTM_GETROUTE with RTA_DST, a full-length prefix and
   * RTM_F_LOOKUP_TABLE (report the table that matched). Unlike iproute2 we also ask for an ACK,
   * so the reply is followed by one and the generic request loop applies.
   */
  public static void routeGet(MessageWriter w, int seq, InetAddress dst) {
    int family = Families.of(dst);
    w.begin(RTM_GETROUTE, PLAIN_ACK, seq)
        .rtmsg(family, family == Families.AF_INET ? 32 : 128, 0, 0, 0, 0, 0, 0, RTM_F_LOOKUP_TABLE)
        .attrAddress(RTA_DST, dst).end();
  }

  /** {@code ip neigh replace|del}: NDA_DST, then NDA_LLADDR unless deleting. */
  public static void neigh(MessageWriter w, int type, int flags, int seq, Neigh n) {
    w.begin(type, flags, seq).ndmsg(n.family(), n.linkIndex(), n.state(), n.flags(), 0).attrAddress(NDA_DST, n.address());
    if (n.lladdr() != null && type != RTM_DELNEIGH) {
      w.attrMac(NDA_LLADDR, n.lladdr().value());
    }
    w.end();
  }

  /** {@code bridge fdb replace|append|del MAC dev IDX dst DST self permanent}: family AF_BRIDGE. */
  public static void fdb(MessageWriter w, int type, int flags, int seq, FdbEntry e) {
    w.begin(type, flags, seq).ndmsg(Families.AF_BRIDGE, e.linkIndex(), e.state(), e.flags(), 0)
        .attrMac(NDA_LLADDR, e.mac().value());
    if (e.dst() != null) {
      w.attrAddress(NDA_DST, e.dst());
    }
    w.end();
  }
}
