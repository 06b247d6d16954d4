package io.jflannel.netlink;

/** Work in progress: the JNR-backed implementation lands in the next commits. */
final class RtNetlink {
  private RtNetlink() {
  }

  static Netlink open(NetNs ns) throws NetlinkException {
    throw new NetlinkException("open netlink socket" + (ns == null ? "" : " in netns " + ns.name())
        + ": implementation not merged yet", 0, null);
  }
}
