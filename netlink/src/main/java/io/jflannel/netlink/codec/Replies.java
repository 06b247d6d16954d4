package io.jflannel.netlink.codec;

import io.jflannel.netlink.Addr;
import io.jflannel.netlink.Families;
import io.jflannel.netlink.FdbEntry;
import io.jflannel.netlink.Link;
import io.jflannel.netlink.MacAddress;
import io.jflannel.netlink.Neigh;
import io.jflannel.netlink.Route;
import io.jflannel.netlink.VxlanAttrs;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

import static io.jflannel.netlink.codec.Nl.*;

/**
 * Decodes kernel messages read into a ByteBuffer (native order). Every method takes the
 * offset of a message's nlmsghdr and uses absolute reads, so the buffer's position is left
 * alone. Pure: no I/O. Attribute types are masked with 0x3fff; unknown attributes are skipped.
 */
public final class Replies {
  private Replies() {
  }

  public static int length(ByteBuffer b, int msg) {
    return b.getInt(msg);
  }

  public static int type(ByteBuffer b, int msg) {
    return b.getShort(msg + 4) & 0xFFFF;
  }

  public static int flags(ByteBuffer b, int msg) {
    return b.getShort(msg + 6) & 0xFFFF;
  }

  public static int seq(ByteBuffer b, int msg) {
    return b.getInt(msg + 8);
  }

  /** Offset of the next message after {@code msg}. */
  public static int next(ByteBuffer b, int msg) {
    return msg + align(length(b, msg));
  }

  /** Whether a complete message header fits between {@code msg} and {@code end}, with a sane length. */
  public static boolean hasMessage(ByteBuffer b, int msg, int end) {
    if (msg + NLMSG_HDRLEN > end) {
      return false;
    }
    int len = length(b, msg);
    if (len < NLMSG_HDRLEN || msg + len > end) {
      throw new IllegalArgumentException("malformed netlink message at offset " + msg + ": length " + len
          + " with " + (end - msg) + " bytes left");
    }
    return true;
  }

  /** NLMSG_ERROR: the positive errno (0 = plain ACK). */
  public static int errno(ByteBuffer b, int msg) {
    return -b.getInt(msg + NLMSG_HDRLEN);
  }

  /** NLMSG_ERROR: sequence number of the request it answers (copied request header). */
  public static int errorRequestSeq(ByteBuffer b, int msg) {
    return b.getInt(msg + NLMSG_HDRLEN + 4 + 8);
  }

  /**
   * NLMSG_ERROR: the kernel's extended-ack text (NLMSGERR_ATTR_MSG), or null. Handles both
   * capped (NETLINK_CAP_ACK) and full echoes of the request.
   */
  public static String extAck(ByteBuffer b, int msg) {
    int flags = flags(b, msg);
    if ((flags & NLM_F_ACK_TLVS) == 0) {
      return null;
    }
    int end = msg + length(b, msg);
    int orig = msg + NLMSG_HDRLEN + 4;
    int tlv = (flags & NLM_F_CAPPED) != 0 ? orig + NLMSG_HDRLEN : orig + align(b.getInt(orig));
    return stringAttr(b, tlv, end, NLMSGERR_ATTR_MSG);
  }

  /** NLMSG_DONE: the positive errno of a failed dump (0 = success). */
  public static int doneErrno(ByteBuffer b, int msg) {
    return length(b, msg) >= NLMSG_HDRLEN + 4 ? -b.getInt(msg + NLMSG_HDRLEN) : 0;
  }

  /** NLMSG_DONE: extended-ack text of a failed dump, or null. */
  public static String doneExtAck(ByteBuffer b, int msg) {
    if ((flags(b, msg) & NLM_F_ACK_TLVS) == 0) {
      return null;
    }
    return stringAttr(b, msg + NLMSG_HDRLEN + 4, msg + length(b, msg), NLMSGERR_ATTR_MSG);
  }

  private static String stringAttr(ByteBuffer b, int start, int end, int want) {
    for (int a = start; a + 4 <= end; ) {
      int len = b.getShort(a) & 0xFFFF;
      if (len < 4) {
        break;
      }
      if ((b.getShort(a + 2) & NLA_TYPE_MASK) == want) {
        return string(b, a + 4, len - 4);
      }
      a += align(len);
    }
    return null;
  }

  static String string(ByteBuffer b, int off, int len) {
    int n = 0;
    while (n < len && b.get(off + n) != 0) {
      n++;
    }
    byte[] bytes = new byte[n];
    b.get(off, bytes);
    return new String(bytes, StandardCharsets.UTF_8);
  }

  static InetAddress address(ByteBuffer b, int off, int len) {
    if (len != 4 && len != 16) {
      return null;
    }
    byte[] bytes = new byte[len];
    b.get(off, bytes);
    try {
      return InetAddress.getByAddress(bytes);
    } catch (UnknownHostException e) {
      throw new AssertionError("4 or 16 bytes are always an address", e);
    }
  }

  static MacAddress mac(ByteBuffer b, int off, int len) {
    if (len != 6) {
      return null;
    }
    long v = 0;
    for (int i = 0; i < 6; i++) {
      v = (v << 8) | (b.get(off + i) & 0xFF);
    }
    return new MacAddress(v);
  }

  private static int u8(ByteBuffer b, int off) {
    return b.get(off) & 0xFF;
  }

  /** RTM_NEWLINK / RTM_DELLINK. */
  public static Link link(ByteBuffer b, int msg) {
    int body = msg + NLMSG_HDRLEN;
    int end = msg + length(b, msg);
    int index = b.getInt(body + 4);
    int flags = b.getInt(body + 8);
    String name = null;
    String kind = null;
    int mtu = 0;
    int master = 0;
    MacAddress hw = null;
    VxlanAttrs vx = null;
    for (int a = body + IFINFOMSG_LEN; a + 4 <= end; ) {
      int len = b.getShort(a) & 0xFFFF;
      if (len < 4) {
        break;
      }
      int t = b.getShort(a + 2) & NLA_TYPE_MASK;
      int p = a + 4;
      int pl = len - 4;
      switch (t) {
        case IFLA_IFNAME -> name = string(b, p, pl);
        case IFLA_MTU -> mtu = b.getInt(p);
        case IFLA_ADDRESS -> hw = mac(b, p, pl);
        case IFLA_MASTER -> master = b.getInt(p);
        case IFLA_LINKINFO -> {
          for (int i = p; i + 4 <= p + pl; ) {
            int il = b.getShort(i) & 0xFFFF;
            if (il < 4) {
              break;
            }
            int it = b.getShort(i + 2) & NLA_TYPE_MASK;
            if (it == IFLA_INFO_KIND) {
              kind = string(b, i + 4, il - 4);
            } else if (it == IFLA_INFO_DATA && "vxlan".equals(kind)) {
              vx = vxlan(b, i + 4, i + il);
            }
            i += align(il);
          }
        }
        default -> {
        }
      }
      a += align(len);
    }
    return new Link(index, name, kind, mtu, hw, flags, (flags & Link.IFF_UP) != 0, master, Optional.ofNullable(vx));
  }

  /** IFLA_INFO_DATA of a vxlan link. */
  static VxlanAttrs vxlan(ByteBuffer b, int start, int end) {
    int vni = 0;
    int parent = 0;
    InetAddress local = null;
    int port = 0;
    boolean learning = true;
    boolean gbp = false;
    int ttl = 0;
    for (int a = start; a + 4 <= end; ) {
      int len = b.getShort(a) & 0xFFFF;
      if (len < 4) {
        break;
      }
      int t = b.getShort(a + 2) & NLA_TYPE_MASK;
      int p = a + 4;
      switch (t) {
        case IFLA_VXLAN_ID -> vni = b.getInt(p);
        case IFLA_VXLAN_LINK -> parent = b.getInt(p);
        case IFLA_VXLAN_LOCAL, IFLA_VXLAN_LOCAL6 -> {
          InetAddress x = address(b, p, len - 4);
          if (x != null && !x.isAnyLocalAddress()) {
            local = x;
          }
        }
        case IFLA_VXLAN_PORT -> port = ((b.get(p) & 0xFF) << 8) | (b.get(p + 1) & 0xFF);
        case IFLA_VXLAN_LEARNING -> learning = u8(b, p) != 0;
        case IFLA_VXLAN_GBP -> gbp = true;
        case IFLA_VXLAN_TTL -> ttl = u8(b, p);
        default -> {
        }
      }
      a += align(len);
    }
    return new VxlanAttrs(vni, parent, local, port, learning, gbp, ttl);
  }

  /** RTM_NEWADDR / RTM_DELADDR. IFA_LOCAL wins over IFA_ADDRESS (which is the peer on point-to-point links). */
  public static Addr addr(ByteBuffer b, int msg) {
    int body = msg + NLMSG_HDRLEN;
    int end = msg + length(b, msg);
    int prefix = u8(b, body + 1);
    int flags = u8(b, body + 2);
    int scope = u8(b, body + 3);
    int index = b.getInt(body + 4);
    InetAddress local = null;
    InetAddress address = null;
    for (int a = body + IFADDRMSG_LEN; a + 4 <= end; ) {
      int len = b.getShort(a) & 0xFFFF;
      if (len < 4) {
        break;
      }
      int t = b.getShort(a + 2) & NLA_TYPE_MASK;
      if (t == IFA_LOCAL) {
        local = address(b, a + 4, len - 4);
      } else if (t == IFA_ADDRESS) {
        address = address(b, a + 4, len - 4);
      } else if (t == IFA_FLAGS && len >= 8) {
        flags = b.getInt(a + 4); // the 32-bit form supersedes ifa_flags
      }
      a += align(len);
    }
    InetAddress ip = local != null ? local : address;
    return ip == null ? null : new Addr(index, ip, prefix, scope, flags);
  }

  /** Whether an RTM_NEWROUTE message describes a cached clone (RTM_F_CLONED), not a configured route. */
  public static boolean isClonedRoute(ByteBuffer b, int msg) {
    return (b.getInt(msg + NLMSG_HDRLEN + 8) & RTM_F_CLONED) != 0;
  }

  /** RTM_NEWROUTE / RTM_DELROUTE. Returns null for families other than IPv4/IPv6. */
  public static Route route(ByteBuffer b, int msg) {
    int body = msg + NLMSG_HDRLEN;
    int end = msg + length(b, msg);
    int family = u8(b, body);
    if (family != Families.AF_INET && family != Families.AF_INET6) {
      return null;
    }
    int dstLen = u8(b, body + 1);
    int table = u8(b, body + 4);
    int protocol = u8(b, body + 5);
    int scope = u8(b, body + 6);
    int type = u8(b, body + 7);
    int flags = b.getInt(body + 8);
    InetAddress dst = null;
    InetAddress gw = null;
    InetAddress src = null;
    int oif = 0;
    int prio = 0;
    for (int a = body + RTMSG_LEN; a + 4 <= end; ) {
      int len = b.getShort(a) & 0xFFFF;
      if (len < 4) {
        break;
      }
      int t = b.getShort(a + 2) & NLA_TYPE_MASK;
      int p = a + 4;
      switch (t) {
        case RTA_DST -> dst = address(b, p, len - 4);
        case RTA_GATEWAY -> gw = address(b, p, len - 4);
        case RTA_PREFSRC -> src = address(b, p, len - 4);
        case RTA_OIF -> oif = b.getInt(p);
        case RTA_PRIORITY -> prio = b.getInt(p);
        case RTA_TABLE -> table = b.getInt(p);
        default -> {
        }
      }
      a += align(len);
    }
    if (dst == null) {
      dstLen = 0;
    }
    return new Route(dst, dstLen, gw, oif, table, scope, protocol, type, (flags & RTNH_F_ONLINK) != 0, src, prio,
        family);
  }

  /** Family of an RTM_*NEIGH message (AF_BRIDGE = FDB entry). */
  public static int neighFamily(ByteBuffer b, int msg) {
    return u8(b, msg + NLMSG_HDRLEN);
  }

  /** RTM_NEWNEIGH / RTM_DELNEIGH of family AF_INET/AF_INET6; null when it has no NDA_DST. */
  public static Neigh neigh(ByteBuffer b, int msg) {
    int body = msg + NLMSG_HDRLEN;
    int index = b.getInt(body + 4);
    int state = b.getShort(body + 8) & 0xFFFF;
    int flags = u8(b, body + 10);
    InetAddress[] dst = new InetAddress[1];
    MacAddress[] ll = new MacAddress[1];
    neighAttrs(b, msg, dst, ll);
    return dst[0] == null ? null : new Neigh(index, dst[0], ll[0], state, flags);
  }

  /** RTM_NEWNEIGH / RTM_DELNEIGH of family AF_BRIDGE; null without a 6-byte NDA_LLADDR. */
  public static FdbEntry fdb(ByteBuffer b, int msg) {
    int body = msg + NLMSG_HDRLEN;
    int index = b.getInt(body + 4);
    int state = b.getShort(body + 8) & 0xFFFF;
    int flags = u8(b, body + 10);
    InetAddress[] dst = new InetAddress[1];
    MacAddress[] ll = new MacAddress[1];
    neighAttrs(b, msg, dst, ll);
    return ll[0] == null ? null : new FdbEntry(index, ll[0], dst[0], state, flags);
  }

  private static void neighAttrs(ByteBuffer b, int msg, InetAddress[] dst, MacAddress[] ll) {
    int end = msg + length(b, msg);
    for (int a = msg + NLMSG_HDRLEN + NDMSG_LEN; a + 4 <= end; ) {
      int len = b.getShort(a) & 0xFFFF;
      if (len < 4) {
        break;
      }
      int t = b.getShort(a + 2) & NLA_TYPE_MASK;
      if (t == NDA_DST) {
        dst[0] = address(b, a + 4, len - 4);
      } else if (t == NDA_LLADDR) {
        ll[0] = mac(b, a + 4, len - 4);
      }
      a += align(len);
    }
  }
}
