package io.jflannel.netlink;

/** A change notification from the kernel, see {@link Netlink#subscribe}. */
public sealed interface NetlinkEvent {
  /** A link appeared or changed (RTM_NEWLINK). */
  record LinkChanged(Link link) implements NetlinkEvent {
  }

  /** A link disappeared (RTM_DELLINK). */
  record LinkDeleted(Link link) implements NetlinkEvent {
  }

  /** RTM_NEWROUTE. */
  record RouteAdded(Route route) implements NetlinkEvent {
  }

  /** RTM_DELROUTE. */
  record RouteDeleted(Route route) implements NetlinkEvent {
  }

  /** RTM_NEWNEIGH of an IP family. */
  record NeighAdded(Neigh neigh) implements NetlinkEvent {
  }

  /** RTM_DELNEIGH of an IP family. */
  record NeighDeleted(Neigh neigh) implements NetlinkEvent {
  }

  /** RTM_NEWNEIGH of family AF_BRIDGE. */
  record FdbAdded(FdbEntry entry) implements NetlinkEvent {
  }

  /** RTM_DELNEIGH of family AF_BRIDGE. */
  record FdbDeleted(FdbEntry entry) implements NetlinkEvent {
  }

  /** RTM_NEWADDR. */
  record AddrAdded(Addr addr) implements NetlinkEvent {
  }

  /** RTM_DELADDR. */
  record AddrDeleted(Addr addr) implements NetlinkEvent {
  }

  /**
   * The kernel dropped notifications (ENOBUFS on the socket): the consumer must resync from
   * a full dump, since some changes were lost.
   */
  record Overrun() implements NetlinkEvent {
  }
}
