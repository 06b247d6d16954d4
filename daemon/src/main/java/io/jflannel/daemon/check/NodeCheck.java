package io.jflannel.daemon.check;

import io.jflannel.backend.BackendContext;
import io.jflannel.backend.BackendException;
import io.jflannel.backend.Backends;
import io.jflannel.backend.DeviceFact;
import io.jflannel.backend.DryPass;
import io.jflannel.backend.ExternalInterface;
import io.jflannel.backend.Inspection;
import io.jflannel.daemon.flags.FlanneldOptions;
import io.jflannel.daemon.rules.CommandRunner;
import io.jflannel.daemon.rules.FamilyNets;
import io.jflannel.daemon.rules.IpFamily;
import io.jflannel.daemon.rules.IptablesFlavour;
import io.jflannel.daemon.rules.RulePlan;
import io.jflannel.daemon.rules.RuleSetupException;
import io.jflannel.daemon.rules.RuleTools;
import io.jflannel.daemon.run.FatalException;
import io.jflannel.daemon.run.InterfaceResolver;
import io.jflannel.daemon.run.StoreFactory;
import io.jflannel.netlink.Addr;
import io.jflannel.netlink.Families;
import io.jflannel.netlink.FdbEntry;
import io.jflannel.netlink.Link;
import io.jflannel.netlink.Neigh;
import io.jflannel.netlink.Netlink;
import io.jflannel.netlink.NetlinkException;
import io.jflannel.netlink.Route;
import io.jflannel.netlink.RouteFilter;
import io.jflannel.subnet.IpLiteral;
import io.jflannel.subnet.IpNet;
import io.jflannel.subnet.Lease;
import io.jflannel.subnet.NetworkConfig;
import io.jflannel.subnet.PeerListener;
import io.jflannel.subnet.PeerSet;
import io.jflannel.subnet.SubnetEnv;
import io.jflannel.subnet.SubnetException;
import io.jflannel.subnet.SubnetFile;
import io.jflannel.subnet.SubnetManager;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code flanneld check}: reads the store, the kernel and the host the way the daemon would,
 * builds what the daemon would set up (through the backends' own {@link Inspection} and the
 * reconcile planner, the rule plan and subnet.env rendering) and reports every difference.
 * Changes nothing: no lease is acquired, no device, route or rule is written.
 */
public final class NodeCheck {
  /** How long the first listing of the store may take. */
  private static final long LISTING_SECONDS = 30;

  private final CheckOptions options;
  private final Map<String, String> env;
  private final CommandRunner runner;
  private final HostFindings host;

  public NodeCheck(CheckOptions options, Map<String, String> env, CommandRunner runner, HostFindings host) {
    this.options = options;
    this.env = env;
    this.runner = runner;
    this.host = host;
  }

  /** The check with the real {@code /proc/sys} and commands run as they are. */
  public static NodeCheck system(CheckOptions options, Map<String, String> env) {
    return new NodeCheck(options, env, CommandRunner.direct(), new HostFindings(java.nio.file.Path.of("/proc/sys")));
  }

  /** Runs every check; never throws for what it finds (a store it cannot read is a FAIL). */
  public List<Finding> run() {
    List<Finding> out = new ArrayList<>();
    FlanneldOptions flags = options.flags();
    if (!Netlink.isAvailable()) {
      out.add(Finding.fail("netlink", "not available: " + Netlink.unavailabilityCause(), "", "a broken install"));
      return out;
    }
    Deque<AutoCloseable> owned = new ArrayDeque<>();
    try (Netlink nl = Netlink.open()) {
      SubnetFile file = new SubnetFile(flags.subnetFile());
      Optional<SubnetEnv> written;
      try {
        written = file.read();
      } catch (IOException e) {
        out.add(Finding.fail("subnet.env", e.getMessage(), "cat " + flags.subnetFile(),
            "flanneld rewrites it when it starts"));
        written = Optional.empty();
      }
      StoreFactory.Store store;
      try {
        store = new StoreFactory(flags, env).open(null, owned);
      } catch (FatalException e) {
        out.add(Finding.fail("store", e.getMessage(), storeSee(flags), "flanneld cannot start either until this works"));
        out.add(host.ipForward());
        return out;
      }
      NetworkConfig config = store.config();
      out.add(Finding.ok("network config", "Network " + config.network() + ", backend " + config.backend().type()));
      ExternalInterface ext;
      try {
        ext = new InterfaceResolver(flags.iface()).resolve(nl, store.subnets(), config);
      } catch (FatalException e) {
        out.add(Finding.fail("external interface", e.getMessage(), "ip -br addr", "check --iface / --iface-regex"));
        out.add(host.ipForward());
        return out;
      }
      out.add(Finding.ok("external interface", ext.name() + " " + text(ext.ifaceAddr()) + ", advertising "
          + text(ext.extAddr())));
      Map<String, Lease> all;
      try {
        all = listing(store.subnets());
      } catch (SubnetException e) {
        out.add(Finding.fail("store listing", e.getMessage(), storeSee(flags), "flanneld cannot see its peers either"));
        out.add(host.ipForward());
        return out;
      }
      Optional<Lease> own;
      if (flags.kube().enabled()) {
        own = KubeLease.read(store.subnets(), ext.extAddr(), config.backend().type(), out);
      } else {
        own = StoreFindings.own(all, ext.extAddr());
        out.addAll(StoreFindings.lease(own, all, ext.extAddr(), written, config.backend().type(), storeSee(flags)));
      }
      Inspection inspection = null;
      if (own.isPresent()) {
        try {
          inspection = Backends.create(config.backend().type(), new BackendContext(nl, ext, store.subnets(), null))
              .inspect(config, own.get());
        } catch (BackendException e) {
          out.add(Finding.fail("backend", e.getMessage(), "", "flanneld fails the same way"));
        }
      }
      if (inspection != null) {
        Lease lease = own.get();
        out.addAll(StoreFindings.subnetFile(flags.subnetFile(), written, new SubnetEnv(config.network(),
            lease.subnet(), null, null, inspection.mtu(), flags.rules().ipMasq())));
        out.addAll(device(inspection.device()));
        Map<String, Lease> peers = new LinkedHashMap<>(all);
        peers.remove(lease.key());
        DryPass pass = inspection.plan(peers);
        out.addAll(PlanFindings.of(pass, kernel(nl, pass), i -> linkName(nl, i), config.network(), lease.subnet(),
            inspection.dataplane()::owns));
        out.addAll(hostChecks(nl, config, ext, lease, inspection, pass));
        if (options.probe()) {
          Probe probe = new Probe(runner);
          pass.accepted().values().forEach(p -> out.add(probe.probe(p, config.backend().type())));
        }
      } else {
        out.add(host.ipForward());
      }
    } catch (NetlinkException e) {
      out.add(Finding.fail("netlink", e.getMessage(), "", "run as root on the node"));
    } finally {
      closeAll(owned);
    }
    return out;
  }

  private List<Finding> hostChecks(Netlink nl, NetworkConfig config, ExternalInterface ext, Lease lease,
      Inspection inspection, DryPass pass) throws NetlinkException {
    List<Finding> out = new ArrayList<>();
    out.add(host.ipForward());
    out.add(host.bridgeNetfilter(config.enableNftables()));
    Set<String> devices = new LinkedHashSet<>();
    devices.add(ext.name());
    for (DeviceFact f : inspection.device()) {
      devices.add(f.subject().split(" ")[0]);
    }
    devices.add("cni0");
    out.addAll(host.rpFilter(List.copyOf(devices)));
    out.addAll(rules(config, lease));
    Optional<Link> cni0 = nl.link("cni0");
    List<Addr> addrs = cni0.isPresent() ? nl.addrs(cni0.get().index(), Families.AF_INET) : List.of();
    out.addAll(HostFindings.cniBridge(cni0, addrs, inspection.mtu(), lease.subnet(), config.network()));
    out.add(HostFindings.cniConfig(options.cniConf()));
    return out;
  }

  /** The traffic rules as the daemon's rule plan renders them, compared with the kernel's. */
  private List<Finding> rules(NetworkConfig config, Lease lease) {
    List<Finding> out = new ArrayList<>();
    FlanneldOptions.Rules flags = options.flags().rules();
    RuleTools tools;
    try {
      tools = RuleTools.select(flags, config);
    } catch (RuleSetupException e) {
      out.add(Finding.fail("traffic rules", e.getMessage(), "", "flanneld fails the same way"));
      return out;
    }
    IptablesFlavour flavour = tools.flavour().orElse(IptablesFlavour.INSTALLED);
    String iptables = flavour.iptables(IpFamily.IPV4);
    if (!flags.anyRules()) {
      out.add(Finding.ok("traffic rules", "none wanted (--ip-masq=false, --iptables-forward-rules=false)"));
    } else {
      boolean randomFully = flags.ipMasq() && !flags.randomFullyDisabled() && tools.randomFullySupported();
      RulePlan plan = RulePlan.of(flags, Optional.of(new FamilyNets(config.network(), lease.subnet())),
          Optional.empty(), randomFully);
      try {
        List<String> drift = tools.create(plan).drift();
        for (String d : drift) {
          String see = tools.nftables() ? "nft list table ip flannel-ipv4"
              : d.contains("nat/") ? iptables + " -t nat -S POSTROUTING; " + iptables + " -t nat -S FLANNEL-POSTRTG"
              : iptables + " -S FORWARD; " + iptables + " -S FLANNEL-FWD";
          out.add(Finding.fail("traffic rules", d, see,
              "a running flanneld rebuilds them within --iptables-resync seconds; else restart it"));
        }
        if (drift.isEmpty()) {
          out.add(Finding.ok("traffic rules", tools.describe() + " rules in place and in order (masquerade "
              + plan.masquerade() + ", forward " + plan.forward() + ")"));
        }
      } catch (RuntimeException e) {
        out.add(Finding.fail("traffic rules", "cannot read them: " + e.getMessage(), "", "run as root"));
      }
    }
    if (!tools.nftables()) {
      try {
        out.addAll(HostFindings.forwardPolicy(runner.run(List.of(flavour.save(IpFamily.IPV4)), ""),
            flags.forwardRules(), iptables));
      } catch (RuntimeException e) {
        out.add(Finding.warn("FORWARD policy", "cannot read it: " + e.getMessage(), iptables + " -S FORWARD", ""));
      }
    }
    return out;
  }

  private static List<Finding> device(List<DeviceFact> facts) {
    List<Finding> out = new ArrayList<>();
    List<String> good = new ArrayList<>();
    for (DeviceFact f : facts) {
      if (f.matches()) {
        int space = f.subject().indexOf(' ');
        good.add(space < 0 ? f.have() : f.subject().substring(space + 1) + " " + f.have());
      } else if (f.repaired()) {
        out.add(Finding.fail(f.subject(), f.have() + ", flanneld sets " + f.want(), f.show(),
            "a running flanneld repairs it on its next pass; if it stays, look at its log"));
      } else {
        out.add(Finding.warn(f.subject(), f.have() + ", flanneld creates it with " + f.want(), f.show(),
            "flanneld keeps a device that differs only here; delete the device and restart flanneld to get the default"));
      }
    }
    if (!facts.isEmpty() && out.isEmpty()) {
      out.add(Finding.ok("device " + facts.get(0).subject().split(" ")[0], String.join(", ", good)));
    }
    return out;
  }

  /** Every main-table IPv4 route, and the neighbours and FDB entries of the devices the plan uses. */
  private static PlanFindings.Kernel kernel(Netlink nl, DryPass pass) throws NetlinkException {
    Set<Integer> devices = new LinkedHashSet<>();
    pass.desired().values().forEach(p -> {
      p.neighs().forEach(n -> devices.add(n.linkIndex()));
      p.fdb().forEach(f -> devices.add(f.linkIndex()));
    });
    List<Neigh> neighs = new ArrayList<>();
    List<FdbEntry> fdb = new ArrayList<>();
    for (int index : devices) {
      if (index > 0) {
        neighs.addAll(nl.neighs(index, Families.AF_INET));
        fdb.addAll(nl.fdb(index));
      }
    }
    List<Route> routes = nl.routes(RouteFilter.main(Families.AF_INET));
    return new PlanFindings.Kernel(routes, neighs, fdb);
  }

  private static String linkName(Netlink nl, int index) {
    try {
      return nl.link(index).map(Link::name).orElse("if" + index);
    } catch (NetlinkException e) {
      return "if" + index;
    }
  }

  /**
   * Every lease in the store, own included: the first (full) drain of a peer watch opened
   * without a lease, so nothing is filtered.
   */
  private static Map<String, Lease> listing(SubnetManager subnets) throws SubnetException {
    CompletableFuture<Map<String, Lease>> first = new CompletableFuture<>();
    SubnetManager.Watch watch = subnets.watchPeers(new PeerListener() {
      @Override
      public void peersChanged(PeerSet peers) {
        if (!first.isDone()) {
          first.complete(new LinkedHashMap<>(peers.drain().changed()));
        }
      }
    });
    try {
      return first.get(LISTING_SECONDS, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      throw new SubnetException("no listing of the leases within " + LISTING_SECONDS + " s"
          + subnets.peerListProblem().map(p -> ": " + p).orElse(""));
    } catch (ExecutionException e) {
      throw new SubnetException("listing the leases failed: " + e.getCause(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SubnetException("interrupted while listing the leases");
    } finally {
      watch.close();
    }
  }

  private static String storeSee(FlanneldOptions flags) {
    if (flags.kube().enabled()) {
      return "kubectl get nodes -o yaml";
    }
    return "etcdctl --endpoints " + String.join(",", flags.etcd().endpoints()) + " get --prefix "
        + flags.etcd().prefix() + "/subnets/";
  }

  private static String text(java.net.InetAddress a) {
    return a == null ? "-" : IpLiteral.format(a);
  }

  private static void closeAll(Deque<AutoCloseable> owned) {
    for (AutoCloseable c = owned.pollFirst(); c != null; c = owned.pollFirst()) {
      try {
        c.close();
      } catch (Exception e) {
        // nothing to report: the check is over
      }
    }
  }
}
