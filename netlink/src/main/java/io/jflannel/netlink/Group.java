package io.jflannel.netlink;

/** rtnetlink multicast groups (RTNLGRP_*) one can {@link Netlink#subscribe subscribe} to. */
public enum Group {
  /** RTNLGRP_LINK: links appear, change, disappear. */
  LINK(1),
  /** RTNLGRP_NEIGH: neighbours and FDB entries. */
  NEIGH(3),
  /** RTNLGRP_IPV4_IFADDR. */
  IPV4_IFADDR(5),
  /** RTNLGRP_IPV4_ROUTE. */
  IPV4_ROUTE(7),
  /** RTNLGRP_IPV6_IFADDR. */
  IPV6_IFADDR(9),
  /** RTNLGRP_IPV6_ROUTE. */
  IPV6_ROUTE(11);

  private final int id;

  Group(int id) {
    this.id = id;
  }

  /** The RTNLGRP_* number (used with NETLINK_ADD_MEMBERSHIP). */
  public int id() {
    return id;
  }
}
