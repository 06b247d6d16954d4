package io.jflannel.daemon.iface;

import io.jflannel.daemon.iface.InterfaceInventory.Address;
import io.jflannel.daemon.iface.InterfaceInventory.Iface;
import io.jflannel.daemon.iface.InterfaceInventory.RouteHit;
import io.jflannel.subnet.IpLiteral;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Chooses the external interface and its address the way flanneld does: with no
 * {@code --iface*} flag, the interface owning {@code --public-ip} (an error when none does)
 * or else the default route's; otherwise each {@code --iface} (name or IP), then each {@code --iface-regex}
 * (on addresses first, then on names), then {@code --iface-can-reach}.
 */
public final class InterfaceSelector {

  /** What the operator asked for, for one address family. */
  public record Request(
      boolean ipv6,
      List<String> names,
      List<Pattern> regexes,
      Optional<InetAddress> canReach,
      Optional<InetAddress> publicIp) {
    public Request {
      names = List.copyOf(names);
      regexes = List.copyOf(regexes);
    }

    boolean unspecified() {
      return names.isEmpty() && regexes.isEmpty() && canReach.isEmpty();
    }
  }

  /** The chosen interface and its address of the requested family. */
  public record Selection(Iface iface, InetAddress address) {}

  private final InterfaceInventory inventory;

  public InterfaceSelector(InterfaceInventory inventory) {
    this.inventory = inventory;
  }

  /**
   * Selects the interface.
   *
   * @throws InterfaceSelectionException naming everything that was tried
   */
  public Selection select(Request req) throws InterfaceSelectionException {
    List<String> tried = new ArrayList<>();
    try {
      List<Iface> all = inventory.interfaces();
      if (req.unspecified()) {
        if (req.publicIp().isPresent()) {
          InetAddress pub = req.publicIp().get();
          Optional<Iface> owner = owning(all, pub);
          if (owner.isPresent()) {
            return new Selection(owner.get(), pub);
          }
          // As upstream: the advertised address must be local when it picks the interface.
          throw new InterfaceSelectionException("failed to find the external interface: no interface has the "
              + family(req) + " address " + pub.getHostAddress() + " of " + (req.ipv6() ? "--public-ipv6" : "--public-ip"));
        }
        Optional<Integer> idx = inventory.defaultRouteInterface(req.ipv6());
        if (idx.isEmpty()) {
          tried.add("default route (" + family(req) + " default route not found)");
        } else {
          Optional<Iface> iface = byIndex(all, idx.get());
          Optional<Selection> s = iface.flatMap(i -> bestAddress(i, req.ipv6()).map(a -> new Selection(i, a)));
          if (s.isPresent()) {
            return s.get();
          }
          tried.add("default route interface " + iface.map(Iface::name).orElse("#" + idx.get())
              + " (no " + family(req) + " address)");
        }
        throw new InterfaceSelectionException(message(tried));
      }
      for (String name : req.names()) {
        Optional<Selection> s = byNameOrIp(all, name, req.ipv6(), tried);
        if (s.isPresent()) {
          return s.get();
        }
      }
      for (Pattern p : req.regexes()) {
        Optional<Selection> s = byRegex(all, p, req.ipv6());
        if (s.isPresent()) {
          return s.get();
        }
        tried.add("--iface-regex=" + p.pattern() + " (no interface address or name matched)");
      }
      if (req.canReach().isPresent()) {
        InetAddress dst = req.canReach().get();
        Optional<RouteHit> hit = inventory.routeTo(dst);
        if (hit.isPresent()) {
          Optional<Iface> iface = byIndex(all, hit.get().interfaceIndex());
          if (iface.isPresent()) {
            InetAddress src = hit.get().preferredSource();
            if (src != null && isFamily(src, req.ipv6())) {
              return new Selection(iface.get(), src);
            }
            Optional<InetAddress> a = bestAddress(iface.get(), req.ipv6());
            if (a.isPresent()) {
              return new Selection(iface.get(), a.get());
            }
          }
        }
        tried.add("--iface-can-reach=" + dst.getHostAddress() + " (no usable route)");
      }
      throw new InterfaceSelectionException(message(tried));
    } catch (InterfaceSelectionException e) {
      throw e;
    } catch (Exception e) {
      throw new InterfaceSelectionException("failed to read the node's interfaces: " + e.getMessage(), e);
    }
  }

  private Optional<Selection> byNameOrIp(List<Iface> all, String spec, boolean ipv6, List<String> tried) {
    Optional<InetAddress> literal = literal(spec);
    if (literal.isPresent()) {
      InetAddress ip = literal.get();
      Optional<Iface> owner = isFamily(ip, ipv6) ? owning(all, ip) : Optional.empty();
      if (owner.isPresent()) {
        return Optional.of(new Selection(owner.get(), ip));
      }
      tried.add("--iface=" + spec + " (no interface has this " + (ipv6 ? "IPv6" : "IPv4") + " address)");
      return Optional.empty();
    }
    Optional<Iface> iface = all.stream().filter(i -> i.name().equals(spec)).findFirst();
    if (iface.isEmpty()) {
      tried.add("--iface=" + spec + " (no such interface)");
      return Optional.empty();
    }
    Optional<InetAddress> a = bestAddress(iface.get(), ipv6);
    if (a.isEmpty()) {
      tried.add("--iface=" + spec + " (no " + (ipv6 ? "IPv6" : "IPv4") + " address)");
      return Optional.empty();
    }
    return Optional.of(new Selection(iface.get(), a.get()));
  }

  private Optional<Selection> byRegex(List<Iface> all, Pattern p, boolean ipv6) {
    // Upstream matches the regex against every address first, then against names.
    for (Iface i : all) {
      for (Address a : i.addresses()) {
        if (isFamily(a.ip(), ipv6) && p.matcher(IpLiteral.format(a.ip())).find()) {
          return Optional.of(new Selection(i, a.ip()));
        }
      }
    }
    for (Iface i : all) {
      if (p.matcher(i.name()).find()) {
        Optional<InetAddress> a = bestAddress(i, ipv6);
        if (a.isPresent()) {
          return Optional.of(new Selection(i, a.get()));
        }
      }
    }
    return Optional.empty();
  }

  /** Global before link-local, permanent before dynamic, then the first listed. */
  static Optional<InetAddress> bestAddress(Iface iface, boolean ipv6) {
    return iface.addresses().stream()
        .filter(a -> isFamily(a.ip(), ipv6))
        .filter(a -> !a.ip().isLoopbackAddress())
        .min(Comparator.comparing((Address a) -> !a.global()).thenComparing(a -> !a.permanent()))
        .map(Address::ip);
  }

  /** The address when {@code spec} is an IP literal, else empty: it names an interface. */
  private static Optional<InetAddress> literal(String spec) {
    try {
      return Optional.of(IpLiteral.parse(spec));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  private static Optional<Iface> owning(List<Iface> all, InetAddress ip) {
    return all.stream()
        .filter(i -> i.addresses().stream().anyMatch(a -> a.ip().equals(ip)))
        .findFirst();
  }

  private static Optional<Iface> byIndex(List<Iface> all, int index) {
    return all.stream().filter(i -> i.index() == index).findFirst();
  }

  private static boolean isFamily(InetAddress ip, boolean ipv6) {
    return ipv6 ? ip instanceof Inet6Address : ip instanceof Inet4Address;
  }

  private static String family(Request req) {
    return req.ipv6() ? "IPv6" : "IPv4";
  }

  private static String message(List<String> tried) {
    return "failed to find the external interface: tried " + String.join(", ", tried);
  }
}
