package io.jflannel.netlink;

import java.net.InetAddress;

/**
 * A neighbour (ARP / NDP) entry ({@code ip neigh}).
 *
 * @param linkIndex interface index
 * @param address   protocol address (NDA_DST)
 * @param lladdr    link-layer address (NDA_LLADDR), or null (e.g. FAILED/INCOMPLETE entries)
 * @param state     NUD_* bit set
 * @param flags     NTF_* flags
 */
public record Neigh(int linkIndex, InetAddress address, MacAddress lladdr, int state, int flags) {
  public static final int NUD_INCOMPLETE = 0x01;
  public static final int NUD_REACHABLE = 0x02;
  public static final int NUD_STALE = 0x04;
  public static final int NUD_DELAY = 0x08;
  public static final int NUD_PROBE = 0x10;
  public static final int NUD_FAILED = 0x20;
  public static final int NUD_NOARP = 0x40;
  public static final int NUD_PERMANENT = 0x80;
  public static final int NTF_USE = 0x01;
  public static final int NTF_SELF = 0x02;
  public static final int NTF_MASTER = 0x04;
  public static final int NTF_PROXY = 0x08;
  public static final int NTF_EXT_LEARNED = 0x10;
  public static final int NTF_ROUTER = 0x80;

  public Neigh {
    if (address == null) {
      throw new IllegalArgumentException("neighbour address is null");
    }
  }

  /** {@code ip neigh replace ADDRESS lladdr MAC dev LINK nud permanent}. */
  public static Neigh permanent(int linkIndex, InetAddress address, MacAddress lladdr) {
    if (lladdr == null) {
      throw new IllegalArgumentException("permanent neighbour " + address.getHostAddress() + " needs an lladdr");
    }
    return new Neigh(linkIndex, address, lladdr, NUD_PERMANENT, 0);
  }

  /** AF_INET or AF_INET6. */
  public int family() {
    return Families.of(address);
  }

  @Override
  public String toString() {
    return address.getHostAddress() + " dev #" + linkIndex + (lladdr != null ? " lladdr " + lladdr : "")
        + " state 0x" + Integer.toHexString(state);
  }
}
