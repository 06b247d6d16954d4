package io.jflannel.netlink;

import java.net.InetAddress;

/**
 * A bridge forwarding database entry on a device, e.g. a VXLAN device's remote VTEP
 * ({@code bridge fdb}). Family AF_BRIDGE on the wire.
 *
 * @param linkIndex the device (e.g. flannel.1)
 * @param mac       destination MAC
 * @param dst       remote tunnel endpoint (NDA_DST), or null
 * @param state     NUD_* ({@link Neigh#NUD_PERMANENT} for static entries)
 * @param flags     NTF_* ({@link Neigh#NTF_SELF} to program the device's own table)
 */
public record FdbEntry(int linkIndex, MacAddress mac, InetAddress dst, int state, int flags) {
  public FdbEntry {
    if (mac == null) {
      throw new IllegalArgumentException("FDB entry MAC is null");
    }
  }

  /**
   * {@code bridge fdb replace MAC dev LINK dst DST self permanent}: state NUD_PERMANENT (with
   * NUD_NOARP, exactly as the {@code bridge} tool sends it), flag NTF_SELF.
   */
  public static FdbEntry permanentSelf(int linkIndex, MacAddress mac, InetAddress dst) {
    return new FdbEntry(linkIndex, mac, dst, Neigh.NUD_PERMANENT | Neigh.NUD_NOARP, Neigh.NTF_SELF);
  }

  @Override
  public String toString() {
    return mac + " dev #" + linkIndex + (dst != null ? " dst " + dst.getHostAddress() : "")
        + ((flags & Neigh.NTF_SELF) != 0 ? " self" : "") + ((state & Neigh.NUD_PERMANENT) != 0 ? " permanent" : "");
  }
}
