package io.jflannel.netlink;

import java.net.Inet4Address;
import java.net.InetAddress;

/**
 * A route ({@code ip route}). Build with the static factories and the {@code with*} /
 * {@link #onlink()} copies, e.g. {@code Route.via(dst, 24, gw, idx).onlink()}.
 *
 * @param dst             destination network address, null = default route
 * @param dstPrefixLength destination prefix length (0 for the default route)
 * @param gateway         next hop (RTA_GATEWAY), or null
 * @param linkIndex       output link (RTA_OIF), 0 = none
 * @param table           routing table, {@link #RT_TABLE_MAIN} by default
 * @param scope           RT_SCOPE_* ({@link #SCOPE_UNIVERSE}, {@link #SCOPE_LINK}, ...)
 * @param protocol        RTPROT_* ({@link #PROTO_BOOT} is what {@code ip route} uses)
 * @param type            RTN_* ({@link #TYPE_UNICAST}, {@link #TYPE_BLACKHOLE}, ...)
 * @param isOnlink        RTNH_F_ONLINK: the gateway is on the link even without a matching address
 * @param prefSrc         preferred source (RTA_PREFSRC), or null
 * @param priority        metric (RTA_PRIORITY), 0 = none
 * @param family          AF_INET or AF_INET6; 0 derives it from dst, gateway or prefSrc
 */
public record Route(InetAddress dst, int dstPrefixLength, InetAddress gateway, int linkIndex, int table, int scope,
                    int protocol, int type, boolean isOnlink, InetAddress prefSrc, int priority, int family) {
  public static final int RT_TABLE_UNSPEC = 0;
  public static final int RT_TABLE_MAIN = 254;
  public static final int RT_TABLE_LOCAL = 255;
  public static final int SCOPE_UNIVERSE = 0;
  public static final int SCOPE_LINK = 253;
  public static final int SCOPE_HOST = 254;
  public static final int SCOPE_NOWHERE = 255;
  public static final int PROTO_UNSPEC = 0;
  public static final int PROTO_KERNEL = 2;
  public static final int PROTO_BOOT = 3;
  public static final int PROTO_STATIC = 4;
  public static final int TYPE_UNICAST = 1;
  public static final int TYPE_LOCAL = 2;
  public static final int TYPE_BROADCAST = 3;
  public static final int TYPE_BLACKHOLE = 6;
  public static final int TYPE_UNREACHABLE = 7;
  public static final int TYPE_PROHIBIT = 8;

  public Route {
    if (family == 0) {
      InetAddress any = dst != null ? dst : gateway != null ? gateway : prefSrc;
      if (any == null) {
        throw new IllegalArgumentException("route without dst, gateway or prefsrc needs an explicit family");
      }
      family = Families.of(any);
    }
    if (family != Families.AF_INET && family != Families.AF_INET6) {
      throw new IllegalArgumentException("route family " + family + " is neither AF_INET (2) nor AF_INET6 (10)");
    }
    int max = family == Families.AF_INET ? 32 : 128;
    if (dstPrefixLength < 0 || dstPrefixLength > max) {
      throw new IllegalArgumentException("route prefix length " + dstPrefixLength + " out of range 0.." + max);
    }
    if (dst == null && dstPrefixLength != 0) {
      throw new IllegalArgumentException("default route (dst null) must have prefix length 0, got " + dstPrefixLength);
    }
    checkFamily("dst", dst, family);
    checkFamily("gateway", gateway, family);
    checkFamily("prefsrc", prefSrc, family);
    if (table < 0) {
      throw new IllegalArgumentException("route table " + table + " is negative");
    }
  }

  private static void checkFamily(String what, InetAddress a, int family) {
    if (a != null && Families.of(a) != family) {
      throw new IllegalArgumentException("route " + what + " " + a.getHostAddress() + " is not of family " + family);
    }
  }

  /** {@code ip route replace DST/LEN via GW dev LINK}. */
  public static Route via(InetAddress dst, int len, InetAddress gateway, int linkIndex) {
    if (gateway == null) {
      throw new IllegalArgumentException("route via: gateway is null");
    }
    return new Route(dst, len, gateway, linkIndex, RT_TABLE_MAIN, SCOPE_UNIVERSE, PROTO_BOOT, TYPE_UNICAST, false, null, 0, 0);
  }

  /** {@code ip route replace DST/LEN dev LINK} (scope link, no gateway). */
  public static Route dev(InetAddress dst, int len, int linkIndex) {
    return new Route(dst, len, null, linkIndex, RT_TABLE_MAIN, SCOPE_LINK, PROTO_BOOT, TYPE_UNICAST, false, null, 0, 0);
  }

  /** {@code ip route replace blackhole DST/LEN}. */
  public static Route blackhole(InetAddress dst, int len) {
    if (dst == null) {
      throw new IllegalArgumentException("blackhole route: dst is null");
    }
    return new Route(dst, len, null, 0, RT_TABLE_MAIN, SCOPE_UNIVERSE, PROTO_BOOT, TYPE_BLACKHOLE, false, null, 0, 0);
  }

  /** A copy with RTNH_F_ONLINK set. */
  public Route onlink() {
    return new Route(dst, dstPrefixLength, gateway, linkIndex, table, scope, protocol, type, true, prefSrc, priority, family);
  }

  public Route withTable(int t) {
    return new Route(dst, dstPrefixLength, gateway, linkIndex, t, scope, protocol, type, isOnlink, prefSrc, priority, family);
  }

  public Route withScope(int s) {
    return new Route(dst, dstPrefixLength, gateway, linkIndex, table, s, protocol, type, isOnlink, prefSrc, priority, family);
  }

  public Route withProtocol(int p) {
    return new Route(dst, dstPrefixLength, gateway, linkIndex, table, scope, p, type, isOnlink, prefSrc, priority, family);
  }

  public Route withPrefSrc(InetAddress src) {
    return new Route(dst, dstPrefixLength, gateway, linkIndex, table, scope, protocol, type, isOnlink, src, priority, family);
  }

  public Route withPriority(int prio) {
    return new Route(dst, dstPrefixLength, gateway, linkIndex, table, scope, protocol, type, isOnlink, prefSrc, prio, family);
  }

  /** Destination in {@code ip route} notation: {@code default} or {@code a.b.c.d/len}. */
  public String dstString() {
    if (dst == null) {
      return "default";
    }
    return dst.getHostAddress() + "/" + dstPrefixLength;
  }

  /** True for IPv4 routes. */
  public boolean isIpv4() {
    return family == Families.AF_INET;
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder();
    if (type == TYPE_BLACKHOLE) {
      sb.append("blackhole ");
    }
    sb.append(dstString());
    if (gateway != null) {
      sb.append(" via ").append(gateway.getHostAddress());
    }
    if (linkIndex != 0) {
      sb.append(" dev #").append(linkIndex);
    }
    if (table != RT_TABLE_MAIN) {
      sb.append(" table ").append(table);
    }
    if (prefSrc != null) {
      sb.append(" src ").append(prefSrc.getHostAddress());
    }
    if (priority != 0) {
      sb.append(" metric ").append(priority);
    }
    if (isOnlink) {
      sb.append(" onlink");
    }
    return sb.toString();
  }

  static boolean sameFamily(InetAddress a, InetAddress b) {
    return (a instanceof Inet4Address) == (b instanceof Inet4Address);
  }
}
