package io.jflannel.netlink.bench;

import io.jflannel.netlink.BatchResult;
import io.jflannel.netlink.Families;
import io.jflannel.netlink.FdbEntry;
import io.jflannel.netlink.Link;
import io.jflannel.netlink.MacAddress;
import io.jflannel.netlink.Neigh;
import io.jflannel.netlink.Netlink;
import io.jflannel.netlink.NetlinkOp;
import io.jflannel.netlink.Route;
import io.jflannel.netlink.RouteFilter;
import io.jflannel.netlink.VxlanAttrs;
import io.jflannel.netlink.VxlanSpec;
import io.jflannel.netlink.testing.TestNetns;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Programs N VXLAN peers (N permanent neighbours + N FDB entries + N onlink routes on a
 * flannel.1 device, in flannel's order) with {@link Netlink#apply} in one fresh namespace and
 * with {@code ip -batch} / {@code bridge -batch} in another, in the same run, and prints both
 * times (cold: empty tables; warm: re-applying the same replaces) plus a full dump. Not a test:
 * run it with {@code netlink/bench/run.sh [N] [RUNS]} as root.
 */
public final class BatchBench {
  private BatchBench() {
  }

  /** One peer: subnet gateway 10.(128+i/256).(i%256).0, VTEP MAC 0e:00:00:00:hi:lo, public IP in 198.18.0.0/15. */
  record Peer(InetAddress gw, MacAddress mac, InetAddress publicIp) {
    static Peer of(int i) throws IOException {
      InetAddress gw = InetAddress.getByAddress(new byte[] {10, (byte) (128 + i / 256), (byte) (i % 256), 0});
      MacAddress mac = new MacAddress(0x0e00_0000_0000L | i);
      InetAddress pub = InetAddress.getByAddress(new byte[] {(byte) 198, (byte) (18 + i / 65536), (byte) (i >> 8), (byte) i});
      return new Peer(gw, mac, pub);
    }
  }

  record Times(double coldMs, double warmMs, double dumpMs, int objects) {
  }

  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 5000;
    int runs = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    if (n < 1 || n > 65536) {
      throw new IllegalArgumentException("N must be 1..65536, got " + n);
    }
    List<Peer> peers = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      peers.add(Peer.of(i));
    }
    System.out.printf(Locale.ROOT, "peers N=%d (=%d kernel objects), runs=%d, kernel %s, %d CPUs, java %s%n", n, 3 * n,
        runs, System.getProperty("os.version"), Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
    List<Times> ours = new ArrayList<>();
    List<Times> ip = new ArrayList<>();
    for (int r = 1; r <= runs; r++) {
      Times a = runOurs(peers);
      Times b = runIp(peers);
      ours.add(a);
      ip.add(b);
      System.out.printf(Locale.ROOT, "run %d: jflannel cold %.1f ms, warm %.1f ms, dump %.1f ms (%d objects) | "
          + "ip/bridge -batch cold %.1f ms, warm %.1f ms, dump %.1f ms (%d objects)%n", r, a.coldMs, a.warmMs, a.dumpMs,
          a.objects, b.coldMs, b.warmMs, b.dumpMs, b.objects);
    }
    Times mo = median(ours);
    Times mi = median(ip);
    System.out.println();
    System.out.printf(Locale.ROOT, "%-28s %12s %12s %12s%n", "median of " + runs + " runs", "jflannel", "ip -batch", "ip / ours");
    row("cold (15k new objects)".replace("15k", (3 * n) / 1000 + "k"), mo.coldMs, mi.coldMs);
    row("warm (same replaces again)", mo.warmMs, mi.warmMs);
    row("dump (neigh+fdb+route)", mo.dumpMs, mi.dumpMs);
    System.out.printf(Locale.ROOT, "jflannel cold rate: %.0f objects/s%n", 3 * n / (mo.coldMs / 1000));
  }

  private static void row(String what, double ours, double ip) {
    System.out.printf(Locale.ROOT, "%-28s %9.1f ms %9.1f ms %11.2fx%n", what, ours, ip, ip / ours);
  }

  private static Times median(List<Times> ts) {
    return new Times(med(ts.stream().mapToDouble(Times::coldMs).toArray()),
        med(ts.stream().mapToDouble(Times::warmMs).toArray()),
        med(ts.stream().mapToDouble(Times::dumpMs).toArray()), ts.get(0).objects);
  }

  private static double med(double[] v) {
    Arrays.sort(v);
    return v[v.length / 2];
  }

  private static void setupDevice(TestNetns ns) {
    ns.vethPair("veth0", "veth1");
    ns.exec("ip", "addr", "add", "192.0.2.1/24", "dev", "veth0");
  }

  private static Times runOurs(List<Peer> peers) throws Exception {
    try (TestNetns ns = TestNetns.create("nl"); Netlink nl = Netlink.open(ns.netns())) {
      setupDevice(ns);
      int veth0 = nl.link("veth0").orElseThrow().index();
      Link dev = nl.createVxlan(new VxlanSpec("flannel.1",
          new VxlanAttrs(1, veth0, InetAddress.getByName("192.0.2.1"), 8472, false, false, 0), null, 1450));
      nl.setUp(dev.index());
      int idx = dev.index();
      List<NetlinkOp> ops = new ArrayList<>(3 * peers.size());
      for (Peer p : peers) {
        ops.add(NetlinkOp.neighReplace(Neigh.permanent(idx, p.gw(), p.mac())));
        ops.add(NetlinkOp.fdbReplace(FdbEntry.permanentSelf(idx, p.mac(), p.publicIp())));
        ops.add(NetlinkOp.routeReplace(Route.via(p.gw(), 24, p.gw(), idx).onlink()));
      }
      long t0 = System.nanoTime();
      BatchResult cold = nl.apply(ops);
      long t1 = System.nanoTime();
      BatchResult warm = nl.apply(ops);
      long t2 = System.nanoTime();
      cold.throwIfFailed();
      warm.throwIfFailed();
      int objects = nl.neighs(idx, Families.AF_INET).size() + nl.fdb(idx).size()
          + nl.routes(RouteFilter.main(Families.AF_INET).withLink(idx)).size();
      long t3 = System.nanoTime();
      int again = nl.neighs(idx, Families.AF_INET).size() + nl.fdb(idx).size()
          + nl.routes(RouteFilter.main(Families.AF_INET).withLink(idx)).size();
      long t4 = System.nanoTime();
      check(objects == again, "dump sizes differ between two dumps");
      checkCounts(ns, peers.size());
      return new Times(ms(t0, t1), ms(t1, t2), ms(t3, t4), objects);
    }
  }

  private static Times runIp(List<Peer> peers) throws Exception {
    Path dir = Files.createTempDirectory("jfl-nl-bench");
    try (TestNetns ns = TestNetns.create("nl")) {
      setupDevice(ns);
      ns.exec("ip", "link", "add", "flannel.1", "mtu", "1450", "type", "vxlan", "id", "1", "dev", "veth0",
          "local", "192.0.2.1", "dstport", "8472", "nolearning");
      ns.exec("ip", "link", "set", "flannel.1", "up");
      StringBuilder ipBatch = new StringBuilder();
      StringBuilder fdbBatch = new StringBuilder();
      for (Peer p : peers) {
        String gw = p.gw().getHostAddress();
        ipBatch.append("neigh replace ").append(gw).append(" lladdr ").append(p.mac()).append(" dev flannel.1 nud permanent\n");
        fdbBatch.append("fdb replace ").append(p.mac()).append(" dev flannel.1 dst ").append(p.publicIp().getHostAddress())
            .append(" self permanent\n");
      }
      StringBuilder routeBatch = new StringBuilder();
      for (Peer p : peers) {
        String gw = p.gw().getHostAddress();
        routeBatch.append("route replace ").append(gw).append("/24 via ").append(gw).append(" dev flannel.1 onlink\n");
      }
      Path neighFile = Files.writeString(dir.resolve("neigh.batch"), ipBatch);
      Path fdbFile = Files.writeString(dir.resolve("fdb.batch"), fdbBatch);
      Path routeFile = Files.writeString(dir.resolve("route.batch"), routeBatch);
      // flannel's order: neighbours, FDB entries, routes; three processes (ip, bridge, ip)
      List<List<String>> cmds = List.of(
          List.of("ip", "-n", ns.name(), "-batch", neighFile.toString()),
          List.of("bridge", "-n", ns.name(), "-batch", fdbFile.toString()),
          List.of("ip", "-n", ns.name(), "-batch", routeFile.toString()));
      long t0 = System.nanoTime();
      for (List<String> c : cmds) {
        TestNetns.run(c);
      }
      long t1 = System.nanoTime();
      for (List<String> c : cmds) {
        TestNetns.run(c);
      }
      long t2 = System.nanoTime();
      int objects = checkCounts(ns, peers.size());
      long t3 = System.nanoTime();
      int n1 = TestNetns.run(List.of("ip", "-n", ns.name(), "neigh", "show", "dev", "flannel.1")).split("\n").length;
      int n2 = TestNetns.run(List.of("bridge", "-n", ns.name(), "fdb", "show", "dev", "flannel.1")).split("\n").length;
      int n3 = TestNetns.run(List.of("ip", "-n", ns.name(), "route", "show", "dev", "flannel.1")).split("\n").length;
      long t4 = System.nanoTime();
      check(n1 + n2 + n3 >= 3 * peers.size(), "ip dump found fewer objects than programmed");
      return new Times(ms(t0, t1), ms(t1, t2), ms(t3, t4), objects);
    } finally {
      try (var s = Files.list(dir)) {
        for (Path p : s.toList()) {
          Files.delete(p);
        }
      }
      Files.delete(dir);
    }
  }

  /** Both sides must end with exactly N neighbours, N self FDB entries with dst and N routes on flannel.1. */
  private static int checkCounts(TestNetns ns, int n) {
    long neigh = ns.exec("ip", "neigh", "show", "dev", "flannel.1").lines().filter(l -> l.contains("PERMANENT")).count();
    long fdb = ns.exec("bridge", "fdb", "show", "dev", "flannel.1").lines().filter(l -> l.contains(" dst 198.18.")).count();
    long routes = ns.exec("ip", "route", "show", "dev", "flannel.1").lines().filter(l -> l.contains("onlink")).count();
    check(neigh == n && fdb == n && routes == n, "expected " + n + " of each, got neigh=" + neigh + " fdb=" + fdb
        + " routes=" + routes);
    return (int) (neigh + fdb + routes);
  }

  private static void check(boolean ok, String msg) {
    if (!ok) {
      throw new IllegalStateException(msg);
    }
  }

  private static double ms(long a, long b) {
    return (b - a) / 1e6;
  }
}
