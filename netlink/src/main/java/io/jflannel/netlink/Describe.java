package io.jflannel.netlink;

import java.util.function.IntFunction;

/** Renders values in iproute2 words for error messages. */
final class Describe {
  private Describe() {
  }

  static String dev(int index, IntFunction<String> names) {
    String name = index == 0 || names == null ? null : names.apply(index);
    return name != null ? name : "#" + index;
  }

  static String route(Route r, IntFunction<String> n) {
    StringBuilder sb = new StringBuilder();
    if (r.type() == Route.TYPE_BLACKHOLE) {
      sb.append("blackhole ");
    }
    sb.append(r.dstString());
    if (r.gateway() != null) {
      sb.append(" via ").append(r.gateway().getHostAddress());
    }
    if (r.linkIndex() != 0) {
      sb.append(" dev ").append(dev(r.linkIndex(), n));
    }
    if (r.table() != Route.RT_TABLE_MAIN) {
      sb.append(" table ").append(r.table());
    }
    if (r.prefSrc() != null) {
      sb.append(" src ").append(r.prefSrc().getHostAddress());
    }
    if (r.priority() != 0) {
      sb.append(" metric ").append(r.priority());
    }
    if (r.isOnlink()) {
      sb.append(" onlink");
    }
    return sb.toString();
  }

  static String neigh(Neigh x, IntFunction<String> n) {
    return x.address().getHostAddress() + (x.lladdr() != null ? " lladdr " + x.lladdr() : "")
        + " dev " + dev(x.linkIndex(), n) + ((x.state() & Neigh.NUD_PERMANENT) != 0 ? " nud permanent" : "");
  }

  static String fdb(FdbEntry e, IntFunction<String> n) {
    return e.mac() + " dev " + dev(e.linkIndex(), n) + (e.dst() != null ? " dst " + e.dst().getHostAddress() : "")
        + ((e.flags() & Neigh.NTF_SELF) != 0 ? " self" : "") + ((e.state() & Neigh.NUD_PERMANENT) != 0 ? " permanent" : "");
  }

  static String addr(Addr a, IntFunction<String> n) {
    return a.address().getHostAddress() + "/" + a.prefixLength() + " dev " + dev(a.linkIndex(), n);
  }
}
