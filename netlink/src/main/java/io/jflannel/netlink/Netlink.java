package io.jflannel.netlink;

import java.net.InetAddress;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * An rtnetlink handle bound to one network namespace. Every verb sends its request with
 * NLM_F_ACK and waits for the kernel's answer; failures raise a {@link NetlinkException}
 * (checked, an {@link java.io.IOException}) with errno, the kernel's extended-ack text and
 * the operation in iproute2 words.
 *
 * <p>Thread-safe: requests on one handle are serialized. {@link #subscribe} uses its own
 * socket and thread. Check {@link #isAvailable()} before use where native support may be
 * missing (non-Linux, no jffi native library).
 */
public interface Netlink extends AutoCloseable {

  /**
   * Opens a handle in the calling process's current network namespace.
   *
   * @throws NetlinkException when the socket cannot be created (errno set), or native support is missing
   */
  static Netlink open() throws NetlinkException {
    return io.jflannel.netlink.RtNetlink.open(null);
  }

  /**
   * Opens a handle in the named namespace {@code /var/run/netns/<name>}. The socket is created
   * on a short-lived thread that entered the namespace with setns(2); the calling thread's
   * namespace is never changed, so one JVM can hold handles in many namespaces at once.
   */
  static Netlink open(NetNs ns) throws NetlinkException {
    return io.jflannel.netlink.RtNetlink.open(ns);
  }

  /** Whether the native part (JNR/jffi, Linux netlink) can be used. */
  static boolean isAvailable() {
    return NativeSupport.isAvailable();
  }

  /** Why {@link #isAvailable()} is false, or null when it is true. */
  static Throwable unavailabilityCause() {
    return NativeSupport.unavailabilityCause();
  }

  /** The namespace this handle is bound to; null for the process's own namespace. */
  NetNs namespace();

  /** The link called {@code name}, if any. Equivalent to: ip -d link show dev NAME */
  Optional<Link> link(String name) throws NetlinkException;

  /** The link with this index, if any. Equivalent to: ip -d link show (filtered by index) */
  Optional<Link> link(int index) throws NetlinkException;

  /** Every link. Equivalent to: ip -d link show */
  List<Link> links() throws NetlinkException;

  /**
   * Creates a VXLAN device (fails with EEXIST if the name is taken) and returns it as the kernel reports it.
   * Equivalent to: ip link add NAME [address MAC] [mtu MTU] type vxlan id VNI dev PARENT local LOCAL
   * [dstport PORT] [nolearning] [gbp] [ttl TTL]
   */
  Link createVxlan(VxlanSpec spec) throws NetlinkException;

  /** Deletes a link. Equivalent to: ip link del dev NAME */
  void deleteLink(int index) throws NetlinkException;

  /** Sets IFF_UP. Equivalent to: ip link set dev NAME up */
  void setUp(int index) throws NetlinkException;

  /** Clears IFF_UP. Equivalent to: ip link set dev NAME down */
  void setDown(int index) throws NetlinkException;

  /** Equivalent to: ip link set dev NAME mtu MTU */
  void setMtu(int index, int mtu) throws NetlinkException;

  /** Equivalent to: ip link set dev NAME address MAC */
  void setHardwareAddress(int index, MacAddress mac) throws NetlinkException;

  /**
   * Addresses of one link (0 = all) and family (0 = both, AF_INET = 2, AF_INET6 = 10).
   * Equivalent to: ip addr show [dev NAME] [-4|-6]
   */
  List<Addr> addrs(int linkIndex, int family) throws NetlinkException;

  /** Adds an address; EEXIST if present. Equivalent to: ip addr add ADDR/LEN dev NAME */
  void addrAdd(Addr a) throws NetlinkException;

  /** Adds or updates an address. Equivalent to: ip addr replace ADDR/LEN dev NAME */
  void addrReplace(Addr a) throws NetlinkException;

  /** Equivalent to: ip addr del ADDR/LEN dev NAME */
  void addrDelete(Addr a) throws NetlinkException;

  /** Adds or replaces a route. Equivalent to: ip route replace DST via GW dev NAME [onlink] ... */
  void routeReplace(Route r) throws NetlinkException;

  /** Adds a route; EEXIST if present. Equivalent to: ip route add DST via GW dev NAME [onlink] ... */
  void routeAdd(Route r) throws NetlinkException;

  /** Equivalent to: ip route del DST [via GW] [dev NAME] [table T] */
  void routeDelete(Route r) throws NetlinkException;

  /** Routes matching the filter (cached clones excluded). Equivalent to: ip route show [table T] [dev NAME] [-4|-6] */
  List<Route> routes(RouteFilter f) throws NetlinkException;

  /**
   * Asks the kernel which route it would use to reach {@code dst}: the result carries the
   * output link and preferred source address. Empty when the destination is unreachable.
   * Equivalent to: ip route get DST
   */
  Optional<Route> routeGet(InetAddress dst) throws NetlinkException;

  /** Equivalent to: ip neigh replace ADDR lladdr MAC dev NAME nud permanent */
  void neighReplace(Neigh n) throws NetlinkException;

  /** Equivalent to: ip neigh del ADDR dev NAME */
  void neighDelete(Neigh n) throws NetlinkException;

  /** Neighbours of one link (0 = all) and family (0 = AF_INET and AF_INET6). Equivalent to: ip neigh show [dev NAME] */
  List<Neigh> neighs(int linkIndex, int family) throws NetlinkException;

  /** Equivalent to: bridge fdb replace MAC dev NAME dst DST self permanent */
  void fdbReplace(FdbEntry e) throws NetlinkException;

  /** Adds another destination for the MAC (e.g. all-zero MAC flooding). Equivalent to: bridge fdb append MAC dev NAME dst DST self permanent */
  void fdbAppend(FdbEntry e) throws NetlinkException;

  /** Equivalent to: bridge fdb del MAC dev NAME [dst DST] self */
  void fdbDelete(FdbEntry e) throws NetlinkException;

  /** FDB entries of a device (0 = all). Equivalent to: bridge fdb show dev NAME */
  List<FdbEntry> fdb(int linkIndex) throws NetlinkException;

  /**
   * Applies many requests pipelined: as many as fit a window are written with one sendmsg,
   * each with NLM_F_ACK and its own sequence number, then the ACKs are read and matched by
   * sequence number. A failed request does not stop the others. Throws only when the
   * socket itself fails. Equivalent to: ip -batch / bridge -batch
   */
  BatchResult apply(List<NetlinkOp> ops) throws NetlinkException;

  /**
   * Delivers kernel change notifications of the given groups to {@code sink}, on a daemon
   * thread with its own socket in this handle's namespace. ENOBUFS (lost notifications)
   * becomes an {@link NetlinkEvent.Overrun} event. The sink must not block for long.
   * Equivalent to: ip monitor link route neigh address
   */
  Subscription subscribe(Set<Group> groups, Consumer<NetlinkEvent> sink) throws NetlinkException;

  /** Closes the socket. Subscriptions are independent and stay open. */
  @Override
  void close();
}
