package io.jflannel.daemon.cleanup;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.JsonNode;
import io.jflannel.daemon.flags.CommandLineOutcome;
import io.jflannel.daemon.flags.FlagParser;
import io.jflannel.daemon.flags.FlanneldOptions;
import io.jflannel.daemon.iface.InterfaceSelectionException;
import io.jflannel.daemon.iface.InterfaceSelector;
import io.jflannel.daemon.iface.NetlinkInventory;
import io.jflannel.daemon.rules.CommandRunner;
import io.jflannel.daemon.rules.Executables;
import io.jflannel.daemon.rules.IpFamily;
import io.jflannel.daemon.rules.IptablesFlavour;
import io.jflannel.daemon.rules.IptablesTrafficRules;
import io.jflannel.daemon.rules.NftTrafficRules;
import io.jflannel.daemon.run.FatalException;
import io.jflannel.daemon.run.NodeLock;
import io.jflannel.netlink.Addr;
import io.jflannel.netlink.Link;
import io.jflannel.netlink.Neigh;
import io.jflannel.netlink.Netlink;
import io.jflannel.netlink.NetlinkException;
import io.jflannel.netlink.Route;
import io.jflannel.netlink.RouteFilter;
import io.jflannel.subnet.IpLiteral;
import io.jflannel.subnet.IpNet;
import io.jflannel.subnet.JsonTrees;
import io.jflannel.subnet.NetworkConfig;
import io.jflannel.subnet.NetworkConfigParser;
import io.jflannel.subnet.SubnetEnv;
import io.jflannel.subnet.SubnetException;
import io.jflannel.subnet.SubnetFile;
import io.jflannel.subnet.etcd.EtcdOptions;
import io.jflannel.subnet.etcd.EtcdSubnetManager;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.slf4j.LoggerFactory;

/**
 * {@code flanneld cleanup}: removes what flanneld and the flannel CNI set-up created on this
 * node, recognising each object the way the daemon does (docs/cleanup.md, decision 1030), and
 * nothing else. One line per action on stdout ({@code would ...} with {@code --dry-run}), one
 * line per error on stderr; exit 0 when every step succeeded, 1 otherwise, 2 for bad flags.
 */
public final class Cleanup {
  static final String NAME = "flanneld cleanup";
  /** The vxlan backend's device names (docs/compatibility.md#vxlan-backend). */
  static final Pattern DEVICE = Pattern.compile("flannel(-v6)?\\.[0-9]+");
  static final String CNI_BRIDGE = "cni0";
  static final String DEFAULT_CNI_NETWORK = "cbr0";

  private final FlanneldOptions options;
  private final CleanupFlags flags;
  private final Map<String, String> env;
  private final PrintStream out;
  private final PrintStream err;
  private final CommandRunner runner = CommandRunner.direct();
  private int actions;
  private int errors;
  private EtcdSubnetManager etcd;

  private Cleanup(FlanneldOptions options, CleanupFlags flags, Map<String, String> env, PrintStream out,
      PrintStream err) {
    this.options = options;
    this.flags = flags;
    this.env = env;
    this.out = out;
    this.err = err;
  }

  /**
   * Runs {@code flanneld cleanup ARGS} ({@code argv} without the word {@code cleanup}).
   *
   * @return the exit status
   */
  public static int run(List<String> argv, Map<String, String> env, PrintStream out, PrintStream err) {
    return run(argv, env, out, err, kube -> null);
  }

  /**
   * {@link #run(List, Map, PrintStream, PrintStream)} with the launcher's class-path check: given
   * whether the flags select the kube store, the one line to stop with, or null.
   */
  public static int run(List<String> argv, Map<String, String> env, PrintStream out, PrintStream err,
      Function<Boolean, String> classPathMismatch) {
    CleanupFlags flags = new CleanupFlags();
    CommandLineOutcome outcome = FlagParser.parse(argv, env, flags);
    if (outcome instanceof CommandLineOutcome.Exit exit) {
      out.print(exit.stdout());
      err.print(exit.stderr());
      return exit.status();
    }
    FlanneldOptions options = ((CommandLineOutcome.Start) outcome).options();
    String mismatch = classPathMismatch.apply(options.kube().enabled());
    if (mismatch != null) {
      err.println(mismatch);
      return 1;
    }
    quietLogs(options.verbosity());
    if (!NetAdminCapability.effective()) {
      err.println(NAME + ": needs root (CAP_NET_ADMIN) to read and change the node's network; run it as root");
      return 1;
    }
    return new Cleanup(options, flags, env, out, err).run();
  }

  private int run() {
    Path lockFile = NodeLock.pathFor(options.subnetFile());
    boolean lockExisted = Files.exists(lockFile, LinkOption.NOFOLLOW_LINKS);
    NodeLock lock = null;
    try {
      // A running flanneld would put everything back within a second: refuse, naming it.
      if (flags.dryRun || !Files.isDirectory(lockFile.getParent())) {
        Optional<String> holder = NodeLock.holder(lockFile);
        if (holder.isPresent()) {
          return fatal("another flanneld (pid " + holder.get() + ") is running on this node (lock " + lockFile
              + "); stop it before cleaning up");
        }
      } else {
        try {
          lock = NodeLock.acquire(lockFile);
        } catch (FatalException e) {
          return fatal(e.getMessage() + "; stop it before cleaning up");
        }
      }
    } catch (IOException e) {
      return fatal("cannot check the node lock " + lockFile + ": " + e.getMessage());
    }
    try {
      Optional<SubnetEnv> subnetEnv = readSubnetEnv();
      rules();
      if (flags.releaseLease) {
        releaseLease();
      }
      try (Netlink nl = openNetlink()) {
        routes(nl, subnetEnv);
        devices(nl);
        if (flags.cni) {
          cniBridge(nl);
        }
      } catch (NetlinkException | RuntimeException e) {
        error("cannot use netlink: " + e.getMessage());
      }
      if (flags.cni) {
        cniFiles();
      }
      if (errors > 0) {
        // subnet.env names the network and subnet a second run needs to find what is left.
        warn("keep " + options.subnetFile() + ": a step failed; run flanneld cleanup again");
      } else {
        deleteFile(options.subnetFile(), "delete " + options.subnetFile());
      }
      if (lockExisted && errors == 0) {
        deleteFile(lockFile, "delete " + lockFile + " (the node lock)");
      } else if (!lockExisted && lock != null && lock.held()) {
        deleteQuietly(lockFile); // taken by this run only; not an action
      }
    } finally {
      if (lock != null) {
        try {
          lock.close();
        } catch (IOException e) {
          error("cannot release the node lock " + lockFile + ": " + e.getMessage());
        }
      }
      if (etcd != null) {
        etcd.close();
      }
    }
    if (actions == 0 && errors == 0) {
      out.println("nothing to clean up");
    }
    out.flush();
    return errors == 0 ? 0 : 1;
  }

  private static Netlink openNetlink() throws NetlinkException {
    if (!Netlink.isAvailable()) {
      throw new NetlinkException("open (not available: " + Netlink.unavailabilityCause() + ")", 0, null);
    }
    return Netlink.open();
  }

  private Optional<SubnetEnv> readSubnetEnv() {
    try {
      return new SubnetFile(options.subnetFile()).read();
    } catch (IOException e) {
      // Still ours to delete; the network then comes from the network config.
      warn("ignoring the content of " + e.getMessage());
      return Optional.empty();
    }
  }

  /** flannel's nft tables, and its FLANNEL-* chains of every iptables flavour and family. */
  private void rules() {
    Predicate<String> installed = Executables.onPath(Executables.path(env));
    if (installed.test("nft")) {
      try {
        NftTrafficRules.removeAll(runner, flags.dryRun).forEach(t -> action("delete nft table " + t));
      } catch (RuntimeException e) {
        error("cannot delete flannel's nft tables: " + e.getMessage());
      }
    }
    List<IptablesFlavour> flavours = new ArrayList<>();
    for (IptablesFlavour f : List.of(IptablesFlavour.NFT, IptablesFlavour.LEGACY)) {
      if (installed.test(f.save(IpFamily.IPV4)) || installed.test(f.save(IpFamily.IPV6))) {
        flavours.add(f);
      }
    }
    if (flavours.isEmpty()) {
      flavours.add(IptablesFlavour.INSTALLED); // an iptables older than the two flavours
    }
    for (IptablesFlavour f : flavours) {
      for (IpFamily family : IpFamily.values()) {
        if (!installed.test(f.save(family)) || !installed.test(f.restore(family))) {
          continue;
        }
        try {
          IptablesTrafficRules.removeAll(f, family, runner, flags.dryRun).forEach(c -> action(
              "delete " + f.iptables(family) + " chain " + c + " and the rules that jump to it"));
        } catch (RuntimeException e) {
          error("cannot delete flannel's " + f.iptables(family) + " chains: " + e.getMessage());
        }
      }
    }
  }

  /** The etcd keys whose PublicIP is one of this node's addresses (or --public-ip). */
  private void releaseLease() {
    if (options.kube().enabled()) {
      // Decision 1031: Kubernetes assigns and frees the podCIDR; the annotations go with the Node.
      out.println("skip --release-lease: not applicable with --kube-subnet-mgr (the subnet is the Node's podCIDR,"
          + " which Kubernetes frees with the Node; delete the Node to withdraw it from its peers)");
      return;
    }
    Set<InetAddress> ours = new HashSet<>();
    options.iface().publicIp().ifPresent(ours::add);
    options.iface().publicIpv6().ifPresent(ours::add);
    try (Netlink nl = openNetlink()) {
      for (Addr a : nl.addrs(0, 0)) {
        ours.add(a.address());
      }
    } catch (NetlinkException | RuntimeException e) {
      error("cannot list this node's addresses to find its lease: " + e.getMessage());
      return;
    }
    try {
      for (EtcdSubnetManager.OwnKey k : etcd().releaseLeases(ours::contains, flags.dryRun)) {
        if (k.reservation()) {
          warn("keep etcd key " + k.key() + ": a reservation (no TTL), which an operator made");
        } else {
          action("delete etcd key " + k.key());
        }
      }
    } catch (SubnetException | RuntimeException e) {
      error("cannot release the lease in etcd " + options.etcd().endpoints() + ": " + e.getMessage());
    }
  }

  private EtcdSubnetManager etcd() throws SubnetException {
    if (etcd == null) {
      FlanneldOptions.Etcd e = options.etcd();
      etcd = new EtcdSubnetManager(EtcdOptions.of(e.endpoints()).withPrefix(e.prefix())
          .withTls(e.keyFile(), e.certFile(), e.caFile()).withCredentials(e.username(), e.password()), null);
    }
    return etcd;
  }

  /**
   * The routes the daemon owns outside its devices: inside the network, via a gateway, through
   * the external interface (host-gw, vxlan DirectRouting), as the backends' {@code owns(Route)}
   * say; and the blackhole route of the own subnet.
   */
  private void routes(Netlink nl, Optional<SubnetEnv> subnetEnv) throws NetlinkException {
    List<Route> all = nl.routes(RouteFilter.main(0));
    Set<Integer> ourDevices = new HashSet<>();
    for (Link l : nl.links()) {
      if (ourDevice(l)) {
        ourDevices.add(l.index());
      }
    }
    List<Route> gateways = new ArrayList<>();
    List<Route> blackholes = new ArrayList<>();
    Optional<Nets> nets = Optional.empty();
    for (Route r : all) {
      if (r.dst() == null || r.table() != Route.RT_TABLE_MAIN || ourDevices.contains(r.linkIndex())) {
        continue; // a device's routes go with it
      }
      boolean viaGateway = r.type() == Route.TYPE_UNICAST && r.gateway() != null && r.protocol() != Route.PROTO_KERNEL
          && r.isIpv4();
      if (!viaGateway && r.type() != Route.TYPE_BLACKHOLE) {
        continue;
      }
      if (nets.isEmpty()) {
        nets = nets(subnetEnv);
        if (nets.isEmpty()) {
          return;
        }
      }
      IpNet dst = IpNet.of(r.dst(), r.dstPrefixLength());
      if (r.type() == Route.TYPE_BLACKHOLE && nets.get().blackhole(dst)) {
        blackholes.add(r);
      } else if (viaGateway && nets.get().network().contains(dst) && !nets.get().own(dst)) {
        gateways.add(r);
      }
    }
    if (!gateways.isEmpty()) {
      int ext;
      try {
        ext = externalInterface(nl);
      } catch (InterfaceSelectionException e) {
        error("cannot tell which routes inside " + nets.get().network() + " are flannel's: " + e.getMessage());
        ext = -1;
      }
      for (Route r : gateways) {
        if (r.linkIndex() == ext) {
          deleteRoute(nl, r, "delete route " + r.dstString() + " via " + IpLiteral.format(r.gateway()) + " dev "
              + linkName(nl, r.linkIndex()));
        }
      }
    }
    for (Route r : blackholes) {
      deleteRoute(nl, r, "delete route blackhole " + r.dstString());
    }
  }

  /** The network and own subnets: from subnet.env, else the network config. */
  private Optional<Nets> nets(Optional<SubnetEnv> subnetEnv) {
    if (subnetEnv.isPresent() && subnetEnv.get().network() != null) {
      SubnetEnv s = subnetEnv.get();
      List<IpNet> own = new ArrayList<>();
      if (s.subnet() != null) {
        own.add(s.subnet().network());
      }
      if (s.ipv6Subnet() != null) {
        own.add(s.ipv6Subnet().network());
      }
      return Optional.of(new Nets(s.network(), s.ipv6Network(), own));
    }
    try {
      NetworkConfig c = networkConfig();
      return Optional.of(new Nets(c.network(), c.ipv6Network(), List.of()));
    } catch (SubnetException | IOException | RuntimeException e) {
      // Most often a cleanup already ran (it deletes subnet.env last): a note, not a failure.
      warn("no " + options.subnetFile() + " and no network config (" + e.getMessage()
          + "): routes inside the cluster network were not looked for");
      return Optional.empty();
    }
  }

  private NetworkConfig networkConfig() throws SubnetException, IOException {
    if (options.kube().enabled()) {
      Path p = options.kube().netConfigPath();
      return NetworkConfigParser.parseForKube(Files.readString(p, StandardCharsets.UTF_8));
    }
    return etcd().networkConfig();
  }

  /** Which cluster networks and own subnets routes are judged against. */
  private record Nets(IpNet network, IpNet ipv6Network, List<IpNet> ownSubnets) {
    boolean own(IpNet dst) {
      return ownSubnets.stream().anyMatch(dst::overlaps);
    }

    /** The own subnet's blackhole; without subnet.env, any blackhole inside the network. */
    boolean blackhole(IpNet dst) {
      if (!ownSubnets.isEmpty()) {
        return ownSubnets.contains(dst);
      }
      return (network != null && network.contains(dst)) || (ipv6Network != null && ipv6Network.contains(dst));
    }
  }

  /** The external interface as the daemon chooses it (the --iface* flags, else the default route). */
  private int externalInterface(Netlink nl) throws InterfaceSelectionException {
    FlanneldOptions.Iface f = options.iface();
    return new InterfaceSelector(new NetlinkInventory(nl)).select(new InterfaceSelector.Request(false, f.names(),
        f.patterns(), f.canReach(), f.publicIp())).iface().index();
  }

  private void deleteRoute(Netlink nl, Route r, String what) {
    if (flags.dryRun) {
      action(what);
      return;
    }
    try {
      nl.routeDelete(r);
      action(what);
    } catch (NetlinkException e) {
      error("cannot " + what + ": " + e.getMessage());
    }
  }

  private static boolean ourDevice(Link l) {
    return DEVICE.matcher(l.name()).matches() && "vxlan".equals(l.kind());
  }

  /** flannel.<VNI> and flannel-v6.<VNI> (vxlan only); their routes, neighbours, FDB entries go with them. */
  private void devices(Netlink nl) throws NetlinkException {
    for (Link l : nl.links()) {
      if (!ourDevice(l)) {
        continue;
      }
      // The peers' routes; not the kernel's own (local table, the IPv6 link-local prefix).
      int routes = (int) nl.routes(RouteFilter.mainOnLink(l.index())).stream()
          .filter(r -> r.dst() != null && r.protocol() != Route.PROTO_KERNEL).count();
      int neighs = (int) nl.neighs(l.index(), 0).stream().filter(n -> (n.state() & Neigh.NUD_PERMANENT) != 0).count();
      int fdb = nl.fdb(l.index()).size();
      deleteLink(nl, l, "delete link " + l.name() + " (vxlan, with its " + count(routes, "route") + ", "
          + count(neighs, "neighbour") + " and " + count(fdb, "FDB entry", "FDB entries") + ")");
    }
  }

  private void cniBridge(Netlink nl) throws NetlinkException {
    Optional<Link> l = nl.link(CNI_BRIDGE);
    if (l.isEmpty()) {
      return;
    }
    if (!"bridge".equals(l.get().kind())) {
      warn("keep link " + CNI_BRIDGE + ": it is a " + l.get().kind() + ", not the CNI bridge");
      return;
    }
    deleteLink(nl, l.get(), "delete link " + CNI_BRIDGE + " (bridge, with its addresses and routes)");
  }

  private void deleteLink(Netlink nl, Link l, String what) {
    if (flags.dryRun) {
      action(what);
      return;
    }
    try {
      nl.deleteLink(l.index());
      action(what);
    } catch (NetlinkException e) {
      error("cannot " + what + ": " + e.getMessage());
    }
  }

  /** The CNI config file, then host-local's addresses of its network and the flannel plugin's state. */
  private void cniFiles() {
    Path conf = Path.of(flags.cniConfFile);
    Path state = Path.of(flags.cniStateDir);
    String network = cniNetworkName(conf);
    deleteFile(conf, "delete " + conf);
    deleteTree(state.resolve("networks").resolve(network));
    deleteTree(state.resolve("flannel"));
  }

  /** The conflist's {@code name} (host-local keeps its addresses under it); cbr0 when unreadable. */
  private String cniNetworkName(Path conf) {
    try {
      if (Files.isRegularFile(conf) && Files.size(conf) <= NetworkConfigParser.MAX_CONFIG_CHARS) {
        JsonNode name = JsonTrees.read(Files.readString(conf, StandardCharsets.UTF_8)).path("name");
        String n = name.isTextual() ? name.asText() : "";
        // A name that is a path would lead the deletion elsewhere: only a plain name is used.
        if (n.matches("[A-Za-z0-9][A-Za-z0-9._-]*")) {
          return n;
        }
        warn("the network name in " + conf + " is not a plain name; using " + DEFAULT_CNI_NETWORK);
      }
    } catch (IOException | RuntimeException e) {
      warn("cannot read the network name from " + conf + " (" + e.getMessage() + "); using " + DEFAULT_CNI_NETWORK);
    }
    return DEFAULT_CNI_NETWORK;
  }

  private void deleteFile(Path p, String what) {
    if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    if (flags.dryRun) {
      action(what);
      return;
    }
    try {
      Files.delete(p);
      action(what);
    } catch (IOException e) {
      error("cannot " + what + ": " + e);
    }
  }

  private void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException e) {
      error("cannot delete " + p + ": " + e);
    }
  }

  /** A directory and what it holds; symbolic links are removed, never followed. */
  private void deleteTree(Path dir) {
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    String what = "delete " + dir + (Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS) ? "/" : "");
    if (flags.dryRun) {
      action(what);
      return;
    }
    try {
      Files.walkFileTree(dir, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
          Files.delete(file);
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
          if (e != null) {
            throw e;
          }
          Files.delete(d);
          return FileVisitResult.CONTINUE;
        }
      });
      action(what);
    } catch (IOException e) {
      error("cannot " + what + ": " + e);
    }
  }

  private static String linkName(Netlink nl, int index) {
    try {
      return nl.link(index).map(Link::name).orElse("#" + index);
    } catch (NetlinkException e) {
      return "#" + index;
    }
  }

  private static String count(int n, String one) {
    return count(n, one, one + "s");
  }

  private static String count(int n, String one, String many) {
    return n + " " + (n == 1 ? one : many);
  }

  private void action(String what) {
    actions++;
    out.println(flags.dryRun ? "would " + what : what);
  }

  private void warn(String what) {
    out.println(what);
  }

  private void error(String what) {
    errors++;
    err.println(NAME + ": " + what);
  }

  private int fatal(String what) {
    err.println(NAME + ": " + what);
    return 1;
  }

  /** The reused daemon code logs its steps at INFO; the action lines say it here (-v shows them). */
  private static void quietLogs(int verbosity) {
    if (LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME) instanceof ch.qos.logback.classic.Logger root) {
      root.setLevel(verbosity >= 5 ? Level.TRACE : verbosity >= 1 ? Level.DEBUG : Level.WARN);
      if (verbosity == 0) {
        // jetcd's retry warnings repeat what the one error line of the failed step says.
        root.getLoggerContext().getLogger("io.etcd").setLevel(Level.ERROR);
      }
    }
  }
}
