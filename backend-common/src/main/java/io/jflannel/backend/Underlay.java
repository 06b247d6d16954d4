package io.jflannel.backend;

import io.jflannel.netlink.Addr;
import io.jflannel.netlink.Errno;
import io.jflannel.netlink.Link;
import io.jflannel.netlink.Netlink;
import io.jflannel.netlink.NetlinkEvent;
import io.jflannel.netlink.NetlinkException;
import io.jflannel.subnet.IpNet;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The external interface as the kernel has it now (docs/decisions/0960, 0961). The daemon
 * chose it by name at start-up ({@link ExternalInterface}); a NIC driver reload or a rebuilt
 * bond deletes it and creates it again under the same name with a new index, so when the
 * known index is gone the interface is looked up again by name. Also its addresses: peers are
 * checked against them ({@link #peerCheck}) and host-gw and DirectRouting use its connected
 * networks.
 *
 * <p>{@link #refresh} runs at the start of every pass (a {@link Dataplane#prepare}), under the
 * network's pass lock; {@link #concerns} runs on the notification thread. Both only exchange
 * volatile snapshots.
 */
public final class Underlay {
  private static final Logger LOG = LoggerFactory.getLogger(Underlay.class);
  /** The link state bits a repair waits for: administratively up, carrier present. */
  private static final int UP_BITS = Link.IFF_UP | Link.IFF_LOWER_UP;

  private final Netlink nl;
  private final ExternalInterface ext;
  private volatile int index;
  /** {@link #UP_BITS} of the link as last seen, by a refresh or a notification; -1 = not yet known. */
  private volatile int upBits = -1;
  private volatile Facts facts;

  /**
   * The addresses of the interface.
   *
   * @param assigned every address with its prefix as assigned ({@code 192.0.2.1/24})
   * @param own      the addresses alone, with the advertised ones
   */
  private record Facts(List<IpNet> assigned, Set<InetAddress> own) {
  }

  /**
   * @param nl  kernel handle in the node's namespace
   * @param ext the interface as the daemon chose it
   */
  public Underlay(Netlink nl, ExternalInterface ext) {
    this.nl = nl;
    this.ext = Objects.requireNonNull(ext, "ext");
    this.index = ext.index();
    this.facts = factsOf(List.of());
  }

  /** The interface's name, e.g. {@code eth0}. */
  public String name() {
    return ext.name();
  }

  /** The interface's index as of the last {@link #refresh} (the daemon's until then). */
  public int index() {
    return index;
  }

  /**
   * Reads the interface again: its index (by name when the known one vanished or names another
   * link now), its link state and its addresses.
   *
   * @return true when the index or the addresses changed since the last refresh: whatever was
   *     judged or mapped from them must be judged and mapped again
   * @throws NetlinkException ENODEV when no link of that name exists (deleted, not back yet)
   */
  public boolean refresh() throws NetlinkException {
    int known = index;
    Optional<Link> link = nl.link(known).filter(l -> l.name().equals(ext.name()));
    if (link.isEmpty()) {
      link = nl.link(ext.name());
    }
    if (link.isEmpty()) {
      throw new NetlinkException("link show dev " + ext.name(), Errno.ENODEV,
          "the external interface " + ext.name() + " is gone (deleted, not created again yet)");
    }
    Link l = link.get();
    upBits = l.flags() & UP_BITS;
    boolean changed = false;
    if (l.index() != known) {
      LOG.info("external interface {} was created again: index {} (was {})", ext.name(), l.index(), known);
      index = l.index();
      changed = true;
    }
    List<IpNet> assigned = new ArrayList<>();
    for (Addr a : nl.addrs(l.index(), 0)) {
      assigned.add(IpNet.of(a.address(), a.prefixLength()));
    }
    Facts now = factsOf(assigned);
    if (!now.equals(facts)) {
      facts = now;
      changed = true;
    }
    return changed;
  }

  private Facts factsOf(List<IpNet> assigned) {
    Set<InetAddress> own = new HashSet<>();
    assigned.forEach(a -> own.add(a.address()));
    for (InetAddress a : new InetAddress[] {ext.extAddr(), ext.ifaceAddr(), ext.extV6Addr(), ext.ifaceV6Addr()}) {
      if (a != null) {
        own.add(a);
      }
    }
    return new Facts(List.copyOf(assigned), Set.copyOf(own));
  }

  /**
   * The IPv4 networks directly connected through the interface (its addresses' prefixes
   * shorter than /32, host bits cleared), as of the last refresh.
   */
  public List<IpNet> connectedIpv4() {
    List<IpNet> out = new ArrayList<>();
    for (IpNet a : facts.assigned()) {
      if (a.isIpv4() && a.prefixLength() < 32) {
        out.add(a.network());
      }
    }
    return out;
  }

  /**
   * Why {@code ip} can never be another node's address, seen from this node, or empty: one
   * of our own addresses (a peer there black-holes its subnet), or the network or broadcast
   * address of a network connected through the interface (the kernel floods to, or refuses,
   * those). IPv6 has no broadcast; there the subnet-router anycast address (host bits zero) is
   * refused, except on /127 and /128 where every address is a host.
   */
  public Optional<String> notANode(InetAddress ip) {
    Facts f = facts;
    if (f.own().contains(ip)) {
      return Optional.of("this node's own address (" + ext.name() + ")");
    }
    for (IpNet a : f.assigned()) {
      if (!a.contains(ip)) {
        continue;
      }
      boolean v4 = a.isIpv4();
      if (a.prefixLength() > (v4 ? 30 : 126)) {
        continue; // RFC 3021 /31 and RFC 6164 /127: both ends are hosts
      }
      if (hostBits(ip, a.prefixLength(), false)) {
        return Optional.of("the " + (v4 ? "network" : "subnet-router anycast") + " address of " + a.network()
            + " on " + ext.name());
      }
      if (v4 && hostBits(ip, a.prefixLength(), true)) {
        return Optional.of("the broadcast address of " + a.network() + " on " + ext.name());
      }
    }
    return Optional.empty();
  }

  /** True when every host bit of {@code ip} under a {@code prefix}-bit mask is {@code ones}. */
  private static boolean hostBits(InetAddress ip, int prefix, boolean ones) {
    byte[] b = ip.getAddress();
    for (int bit = prefix; bit < b.length * 8; bit++) {
      boolean set = (b[bit >> 3] & (0x80 >>> (bit & 7))) != 0;
      if (set != ones) {
        return false;
      }
    }
    return true;
  }

  /**
   * Refuses a peer whose public address can never be a node ({@link #notANode}), with
   * {@link RejectReason#PUBLIC_IP_INVALID}. Checks the IPv4 public address, the one the
   * backends program; IPv6 leases are not validated yet (docs/robustness.md, known gaps).
   */
  public PeerCheck peerCheck() {
    return peer -> {
      InetAddress ip = peer.attrs().publicIp();
      if (!(ip instanceof Inet4Address)) {
        return Optional.empty(); // PeerValidator refuses a lease without one before this runs
      }
      return notANode(ip).map(why ->
          new Rejection(RejectReason.PUBLIC_IP_INVALID, "public IP " + ip.getHostAddress() + " is " + why));
    };
  }

  /**
   * Whether a notification asks for a pass because of the interface: it came (back) up (the
   * kernel dropped every route through it when it went down, without a notification per
   * route), it was created again under its name (a new index), or its addresses changed.
   * Called on the notification thread only; it keeps the link state it saw.
   */
  public boolean concerns(NetlinkEvent e) {
    if (e instanceof NetlinkEvent.LinkChanged c) {
      Link l = c.link();
      if (l.index() == index) {
        int before = upBits;
        int now = l.flags() & UP_BITS;
        upBits = now;
        // A bit that appeared: admin up (routes can be added again) or carrier back.
        return before != -1 && (now & ~before) != 0 && (now & Link.IFF_UP) != 0;
      }
      return ext.name().equals(l.name()); // the same name on another index: created again
    }
    if (e instanceof NetlinkEvent.AddrAdded a) {
      return a.addr().linkIndex() == index;
    }
    if (e instanceof NetlinkEvent.AddrDeleted d) {
      return d.addr().linkIndex() == index;
    }
    return false;
  }
}
