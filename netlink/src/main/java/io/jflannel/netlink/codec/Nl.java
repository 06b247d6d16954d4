package io.jflannel.netlink.codec;

/** Netlink and rtnetlink wire constants (linux/netlink.h, linux/rtnetlink.h, linux/if_link.h, linux/neighbour.h). */
public final class Nl {
  // nlmsghdr: len u32, type u16, flags u16, seq u32, pid u32
  public static final int NLMSG_HDRLEN = 16;
  public static final int NLMSG_NOOP = 1;
  public static final int NLMSG_ERROR = 2;
  public static final int NLMSG_DONE = 3;
  public static final int NLMSG_OVERRUN = 4;

  public static final int NLM_F_REQUEST = 0x01;
  public static final int NLM_F_MULTI = 0x02;
  public static final int NLM_F_ACK = 0x04;
  public static final int NLM_F_ECHO = 0x08;
  public static final int NLM_F_DUMP_INTR = 0x10;
  public static final int NLM_F_DUMP_FILTERED = 0x20;
  public static final int NLM_F_ROOT = 0x100;
  public static final int NLM_F_MATCH = 0x200;
  public static final int NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH;
  public static final int NLM_F_REPLACE = 0x100;
  public static final int NLM_F_EXCL = 0x200;
  public static final int NLM_F_CREATE = 0x400;
  public static final int NLM_F_APPEND = 0x800;
  /** In an ACK: the original request was cut to its header (NETLINK_CAP_ACK). */
  public static final int NLM_F_CAPPED = 0x100;
  /** In an ACK: extended-ack TLVs follow. */
  public static final int NLM_F_ACK_TLVS = 0x200;

  public static final int NLMSGERR_ATTR_MSG = 1;
  public static final int NLMSGERR_ATTR_OFFS = 2;

  public static final int RTM_NEWLINK = 16;
  public static final int RTM_DELLINK = 17;
  public static final int RTM_GETLINK = 18;
  public static final int RTM_NEWADDR = 20;
  public static final int RTM_DELADDR = 21;
  public static final int RTM_GETADDR = 22;
  public static final int RTM_NEWROUTE = 24;
  public static final int RTM_DELROUTE = 25;
  public static final int RTM_GETROUTE = 26;
  public static final int RTM_NEWNEIGH = 28;
  public static final int RTM_DELNEIGH = 29;
  public static final int RTM_GETNEIGH = 30;

  public static final int NLA_F_NESTED = 0x8000;
  public static final int NLA_F_NET_BYTEORDER = 0x4000;
  public static final int NLA_TYPE_MASK = 0x3fff;

  // struct sizes
  public static final int IFINFOMSG_LEN = 16;
  public static final int IFADDRMSG_LEN = 8;
  public static final int RTMSG_LEN = 12;
  public static final int NDMSG_LEN = 12;

  // IFLA_*
  public static final int IFLA_ADDRESS = 1;
  public static final int IFLA_IFNAME = 3;
  public static final int IFLA_MTU = 4;
  public static final int IFLA_LINK = 5;
  public static final int IFLA_MASTER = 10;
  public static final int IFLA_LINKINFO = 18;
  public static final int IFLA_EXT_MASK = 29;
  public static final int IFLA_INFO_KIND = 1;
  public static final int IFLA_INFO_DATA = 2;

  // IFLA_VXLAN_*
  public static final int IFLA_VXLAN_ID = 1;
  public static final int IFLA_VXLAN_GROUP = 2;
  public static final int IFLA_VXLAN_LINK = 3;
  public static final int IFLA_VXLAN_LOCAL = 4;
  public static final int IFLA_VXLAN_TTL = 5;
  public static final int IFLA_VXLAN_LEARNING = 7;
  public static final int IFLA_VXLAN_PORT = 15;
  public static final int IFLA_VXLAN_LOCAL6 = 17;
  public static final int IFLA_VXLAN_GBP = 23;

  // IFA_*
  public static final int IFA_ADDRESS = 1;
  public static final int IFA_LOCAL = 2;
  public static final int IFA_LABEL = 3;
  public static final int IFA_FLAGS = 8;

  // RTA_*
  public static final int RTA_DST = 1;
  public static final int RTA_OIF = 4;
  public static final int RTA_GATEWAY = 5;
  public static final int RTA_PRIORITY = 6;
  public static final int RTA_PREFSRC = 7;
  public static final int RTA_TABLE = 15;
  public static final int RTNH_F_ONLINK = 0x4;
  public static final int RTM_F_CLONED = 0x200;
  public static final int RTM_F_LOOKUP_TABLE = 0x1000;

  // NDA_*
  public static final int NDA_DST = 1;
  public static final int NDA_LLADDR = 2;

  private Nl() {
  }

  /** Rounds up to the 4-byte netlink alignment. */
  public static int align(int n) {
    return (n + 3) & ~3;
  }
}
