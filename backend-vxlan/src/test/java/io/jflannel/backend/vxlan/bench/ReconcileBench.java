package io.jflannel.backend.vxlan.bench;

import io.jflannel.backend.PeerFeed;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jflannel.backend.BackendContext;
import io.jflannel.backend.BackendListener;
import io.jflannel.backend.Backends;
import io.jflannel.backend.ExternalInterface;
import io.jflannel.backend.InMemorySubnetManager;
import io.jflannel.backend.Network;
import io.jflannel.netlink.FdbEntry;
import io.jflannel.netlink.Families;
import io.jflannel.netlink.Group;
import io.jflannel.netlink.Link;
import io.jflannel.netlink.MacAddress;
import io.jflannel.netlink.Neigh;
import io.jflannel.netlink.Netlink;
import io.jflannel.netlink.NetlinkEvent;
import io.jflannel.netlink.NetlinkOp;
import io.jflannel.netlink.Route;
import io.jflannel.netlink.RouteFilter;
import io.jflannel.netlink.Subscription;
import io.jflannel.netlink.testing.TestNetns;
import io.jflannel.subnet.IpNet;
import io.jflannel.subnet.Lease;
import io.jflannel.subnet.LeaseAttrs;
import io.jflannel.subnet.NetworkConfig;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Backend-level programming benchmark (not a test; run with {@code bench/reconcile.sh}).
 *
 * <p>Per run, in a fresh namespace: (1) cold: the vxlan backend registers its network and a
 * {@code ReconcilingNetwork} reconciles N peers into empty tables; (2) warm restart: that
 * network is closed (the dataplane stays), a fresh backend and network are created with the
 * same published attributes and reconcile the same N peers, which must converge by dump and
 * diff with zero writes (counted twice: requests the reconciler reports, and netlink
 * notifications seen on a separate socket); (3) upstream's behaviour as the reference: the
 * same 3N replaces again, through {@link Netlink#apply} and through {@code ip/bridge -batch}.
 * A second namespace gets the cold 3N objects through {@code ip/bridge -batch}.
 */
public final class ReconcileBench {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final IpNet NETWORK = IpNet.parse("10.0.0.0/8");
  private static final IpNet OWN = IpNet.parse("10.1.0.0/24");

  /** CPU time of the calling thread (user + system): the warm pass runs wholly on it. */
  private static final java.lang.management.ThreadMXBean CPU = java.lang.management.ManagementFactory.getThreadMXBean();

  private ReconcileBench() {
  }

  /** Counts what the reconciler reports writing. */
  static final class CountingListener implements BackendListener {
    final AtomicLong requests = new AtomicLong();
    final AtomicLong peers = new AtomicLong();

    @Override
    public void programmingLatency(Duration latency, int ops) {
      requests.addAndGet(ops);
    }

    @Override
    public void peersProgrammed(int count) {
      peers.set(count);
    }
  }

  record Run(double coldRegisterMs, double coldReconcileMs, double warmRegisterMs, double warmReconcileMs,
      double warmCpuMs, long warmRequests, long warmNotifications, double oursRewriteMs, double ipRewriteMs, double ipColdMs) {
  }

  /** Peer i: subnet 10.(128+i/256).(i%256).0/24, VTEP MAC 0e:00:00:00:hi:lo, public IP in 198.18.0.0/15. */
  static Lease peer(int i) throws Exception {
    IpNet subnet = IpNet.parse("10." + (128 + i / 256) + "." + (i % 256) + ".0/24");
    MacAddress mac = new MacAddress(0x0e00_0000_0000L | i);
    InetAddress pub = InetAddress.getByAddress(new byte[] {(byte) 198, (byte) (18 + i / 65536), (byte) (i >> 8), (byte) i});
    return new Lease(subnet, null, new LeaseAttrs(pub, null, "vxlan",
        JSON.readTree("{\"VNI\":1,\"VtepMAC\":\"" + mac + "\"}"), null), null);
  }

  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 5000;
    int runs = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    if (n < 1 || n > 32000) {
      throw new IllegalArgumentException("N must be 1..32000, got " + n);
    }
    List<Lease> peers = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      peers.add(peer(i));
    }
    System.out.printf(Locale.ROOT, "ReconcilingNetwork (vxlan), N=%d peers (%d kernel objects), runs=%d, kernel %s, %d CPUs, java %s%n",
        n, 3 * n, runs, System.getProperty("os.version"), Runtime.getRuntime().availableProcessors(),
        System.getProperty("java.version"));
    List<Run> all = new ArrayList<>();
    for (int r = 1; r <= runs; r++) {
      Run x = once(peers);
      all.add(x);
      System.out.printf(Locale.ROOT, "run %d: cold register %.1f ms + reconcile %.1f ms | warm register %.1f ms + reconcile %.1f ms (thread CPU %.1f ms),"
          + " %d requests, %d notifications | rewrite all %d: ours %.1f ms, ip -batch %.1f ms | ip -batch cold %.1f ms%n",
          r, x.coldRegisterMs, x.coldReconcileMs, x.warmRegisterMs, x.warmReconcileMs, x.warmCpuMs, x.warmRequests, x.warmNotifications,
          3 * n, x.oursRewriteMs, x.ipRewriteMs, x.ipColdMs);
    }
    double cold = med(all, x -> x.coldRegisterMs + x.coldReconcileMs);
    double ipCold = med(all, Run::ipColdMs);
    double warm = med(all, x -> x.warmRegisterMs + x.warmReconcileMs);
    double warmCpu = med(all, Run::warmCpuMs);
    double oursRewrite = med(all, Run::oursRewriteMs);
    double ipRewrite = med(all, Run::ipRewriteMs);
    long maxWrites = all.stream().mapToLong(Run::warmRequests).max().orElse(-1);
    long maxNotes = all.stream().mapToLong(Run::warmNotifications).max().orElse(-1);
    System.out.println();
    System.out.printf(Locale.ROOT, "median of %d runs%n", runs);
    System.out.printf(Locale.ROOT, "cold: register + reconcile %d peers      %8.1f ms   ip/bridge -batch %8.1f ms   ratio ip/ours %.2fx%n",
        n, cold, ipCold, ipCold / cold);
    System.out.printf(Locale.ROOT, "warm restart: register + reconcile       %8.1f ms   writes (max over runs) %d, notifications %d   target <= 500 ms, 0 writes: %s%n",
        warm, maxWrites, maxNotes, warm <= 500 && maxWrites == 0 && maxNotes == 0 ? "MET" : "NOT MET");
    System.out.printf(Locale.ROOT, "warm restart: CPU time of the reconciling thread %8.1f ms%n", warmCpu);
    System.out.printf(Locale.ROOT, "reference, upstream rewrites all %d:   ours apply %8.1f ms   ip/bridge -batch %8.1f ms   ratio (ip rewrite / our warm restart) %.1fx%n",
        3 * n, oursRewrite, ipRewrite, ipRewrite / warm);
  }

  interface Field {
    double get(Run r);
  }

  static double med(List<Run> runs, Field f) {
    double[] v = runs.stream().mapToDouble(f::get).toArray();
    Arrays.sort(v);
    return v[v.length / 2];
  }

  static Run once(List<Lease> peers) throws Exception {
    NetworkConfig cfg = InMemorySubnetManager.config(NETWORK.toString(),
        new NetworkConfig.BackendConfig("vxlan", JSON.readTree("{\"Type\":\"vxlan\"}")));
    try (TestNetns ns = TestNetns.create("prf-be"); Netlink nl = Netlink.open(ns.netns());
         Netlink watch = Netlink.open(ns.netns())) {
      ns.vethPair("eth0", "eth0p");
      ns.exec("ip", "addr", "add", "192.0.2.1/24", "dev", "eth0");
      ns.exec("ip", "link", "set", "eth0", "up");
      ExternalInterface ext = ExternalInterface.ipv4("eth0", ns.ifindex("eth0"), InetAddress.getByName("192.0.2.1"), 1500);
      AtomicLong notes = new AtomicLong();
      // Every kernel change in the namespace; a zero-write restart must cause none.
      try (Subscription sub = watch.subscribe(EnumSet.of(Group.LINK, Group.NEIGH, Group.IPV4_ROUTE, Group.IPV4_IFADDR),
          e -> {
            if (!(e instanceof NetlinkEvent.Overrun)) {
              notes.incrementAndGet();
            }
          })) {
        // cold
        InMemorySubnetManager sm1 = new InMemorySubnetManager(cfg, OWN, null);
        CountingListener l1 = new CountingListener();
        long t0 = System.nanoTime();
        Network net1 = Backends.create("vxlan", new BackendContext(nl, ext, sm1, l1)).registerNetwork(cfg);
        long t1 = System.nanoTime();
        PeerFeed.reconcile(net1, peers);
        long t2 = System.nanoTime();
        net1.close();
        check(l1.peers.get() == peers.size(), "cold pass programmed " + l1.peers.get() + " peers");
        int dev = nl.link("flannel.1").orElseThrow().index();
        checkCounts(nl, dev, peers.size());
        Thread.sleep(300); // let the cold pass's notifications drain before counting
        // warm restart: a fresh backend and network over the full kernel state
        InMemorySubnetManager sm2 = new InMemorySubnetManager(cfg, OWN, sm1.published());
        CountingListener l2 = new CountingListener();
        notes.set(0);
        long c3 = CPU.getCurrentThreadCpuTime();
        long t3 = System.nanoTime();
        Network net2 = Backends.create("vxlan", new BackendContext(nl, ext, sm2, l2)).registerNetwork(cfg);
        long t4 = System.nanoTime();
        PeerFeed.reconcile(net2, peers);
        long t5 = System.nanoTime();
        long c5 = CPU.getCurrentThreadCpuTime();
        net2.close();
        Thread.sleep(300);
        long warmNotes = notes.get();
        check(l2.peers.get() == peers.size(), "warm pass accepted " + l2.peers.get() + " peers");
        checkCounts(nl, dev, peers.size());
        // upstream's restart: every object replaced again
        List<NetlinkOp> ops = new ArrayList<>(3 * peers.size());
        for (Lease p : peers) {
          InetAddress gw = p.subnet().address();
          MacAddress mac = MacAddress.parse(p.attrs().backendData().get("VtepMAC").asText());
          ops.add(NetlinkOp.neighReplace(Neigh.permanent(dev, gw, mac)));
          ops.add(NetlinkOp.fdbReplace(FdbEntry.permanentSelf(dev, mac, p.attrs().publicIp())));
          ops.add(NetlinkOp.routeReplace(Route.via(gw, 24, gw, dev).onlink()));
        }
        long t6 = System.nanoTime();
        nl.apply(ops).throwIfFailed();
        long t7 = System.nanoTime();
        IpBatch batch = IpBatch.write(peers);
        try {
          long t8 = System.nanoTime();
          batch.run(ns.name());
          long t9 = System.nanoTime();
          checkCounts(nl, dev, peers.size());
          double ipCold = ipCold(batch);
          return new Run(ms(t0, t1), ms(t1, t2), ms(t3, t4), ms(t4, t5), ms(c3, c5), l2.requests.get(), warmNotes,
              ms(t6, t7), ms(t8, t9), ipCold);
        } finally {
          batch.delete();
        }
      }
    }
  }

  /** The cold reference: device by {@code ip link}, then the 3N objects by ip/bridge -batch. */
  static double ipCold(IpBatch batch) throws Exception {
    try (TestNetns ns = TestNetns.create("prf-ip"); Netlink nl = Netlink.open(ns.netns())) {
      ns.vethPair("eth0", "eth0p");
      ns.exec("ip", "addr", "add", "192.0.2.1/24", "dev", "eth0");
      ns.exec("ip", "link", "set", "eth0", "up");
      long t0 = System.nanoTime();
      ns.exec("ip", "link", "add", "flannel.1", "mtu", "1450", "type", "vxlan", "id", "1", "dev", "eth0",
          "local", "192.0.2.1", "dstport", "8472", "nolearning");
      ns.exec("ip", "addr", "add", "10.1.0.0/32", "dev", "flannel.1");
      ns.exec("ip", "link", "set", "flannel.1", "up");
      batch.run(ns.name());
      long t1 = System.nanoTime();
      checkCounts(nl, nl.link("flannel.1").orElseThrow().index(), batch.peers);
      return ms(t0, t1);
    }
  }

  /** ip/bridge batch files for the peers, in flannel's order (neighbours, FDB entries, routes). */
  record IpBatch(Path dir, Path neigh, Path fdb, Path route, int peers) {
    static IpBatch write(List<Lease> peers) throws Exception {
      Path dir = Files.createTempDirectory("jfl-prf-batch");
      StringBuilder nb = new StringBuilder();
      StringBuilder fb = new StringBuilder();
      StringBuilder rb = new StringBuilder();
      for (Lease p : peers) {
        String gw = p.subnet().address().getHostAddress();
        String mac = p.attrs().backendData().get("VtepMAC").asText();
        nb.append("neigh replace ").append(gw).append(" lladdr ").append(mac).append(" dev flannel.1 nud permanent\n");
        fb.append("fdb replace ").append(mac).append(" dev flannel.1 dst ").append(p.attrs().publicIp().getHostAddress())
            .append(" self permanent\n");
        rb.append("route replace ").append(gw).append("/24 via ").append(gw).append(" dev flannel.1 onlink\n");
      }
      return new IpBatch(dir, Files.writeString(dir.resolve("neigh"), nb), Files.writeString(dir.resolve("fdb"), fb),
          Files.writeString(dir.resolve("route"), rb), peers.size());
    }

    void run(String ns) {
      TestNetns.run(List.of("ip", "-n", ns, "-batch", neigh.toString()));
      TestNetns.run(List.of("bridge", "-n", ns, "-batch", fdb.toString()));
      TestNetns.run(List.of("ip", "-n", ns, "-batch", route.toString()));
    }

    void delete() throws Exception {
      for (Path p : List.of(neigh, fdb, route, dir)) {
        Files.deleteIfExists(p);
      }
    }
  }

  static void checkCounts(Netlink nl, int dev, int n) throws Exception {
    int neigh = nl.neighs(dev, Families.AF_INET).size();
    int fdb = nl.fdb(dev).size();
    int routes = nl.routes(RouteFilter.main(Families.AF_INET).withLink(dev)).size();
    check(neigh == n && fdb == n && routes == n, "expected " + n + " of each on flannel.1, got neigh=" + neigh
        + " fdb=" + fdb + " routes=" + routes);
  }

  static void check(boolean ok, String msg) {
    if (!ok) {
      throw new IllegalStateException(msg);
    }
  }

  static double ms(long a, long b) {
    return (b - a) / 1e6;
  }
}
