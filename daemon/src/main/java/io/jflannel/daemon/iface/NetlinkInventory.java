package io.jflannel.daemon.iface;

import io.jflannel.netlink.Addr;
import io.jflannel.netlink.Link;
import io.jflannel.netlink.Netlink;
import io.jflannel.netlink.NetlinkException;
import io.jflannel.netlink.Route;
import io.jflannel.netlink.RouteFilter;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/** {@link InterfaceInventory} read from the kernel over netlink. */
public final class NetlinkInventory implements InterfaceInventory {
  private static final int AF_INET = 2;
  private static final int AF_INET6 = 10;

  private final Netlink netlink;

  public NetlinkInventory(Netlink netlink) {
    this.netlink = netlink;
  }

  @Override
  public List<Iface> interfaces() throws NetlinkException {
    Map<Integer, List<Addr>> byLink = netlink.addrs(0, 0).stream()
        .collect(Collectors.groupingBy(Addr::linkIndex));
    List<Iface> out = new ArrayList<>();
    List<Link> links = new ArrayList<>(netlink.links());
    links.sort(Comparator.comparingInt(Link::index));
    for (Link l : links) {
      List<Address> addrs = byLink.getOrDefault(l.index(), List.of()).stream()
          .map(a -> new Address(a.address(), a.prefixLength(), a.isGlobal(), a.isPermanent()))
          .toList();
      out.add(new Iface(l.index(), l.name(), l.mtu(), addrs));
    }
    return out;
  }

  @Override
  public Optional<Integer> defaultRouteInterface(boolean ipv6) throws NetlinkException {
    RouteFilter f = RouteFilter.main(ipv6 ? AF_INET6 : AF_INET);
    return netlink.routes(f).stream()
        .filter(r -> r.dst() == null || r.dstPrefixLength() == 0)
        .filter(r -> r.linkIndex() > 0)
        .min(Comparator.comparingInt(Route::priority))
        .map(Route::linkIndex);
  }

  @Override
  public Optional<RouteHit> routeTo(InetAddress dst) throws NetlinkException {
    return netlink.routeGet(dst).map(r -> new RouteHit(r.linkIndex(), r.prefSrc()));
  }
}
