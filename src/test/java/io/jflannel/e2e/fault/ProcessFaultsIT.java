package io.jflannel.e2e.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.jflannel.lab.EtcdStore;
import io.jflannel.lab.Exec;
import io.jflannel.lab.FlanneldProcess;
import io.jflannel.lab.LabBackend;
import io.jflannel.lab.LabCluster;
import io.jflannel.lab.LabNode;
import io.jflannel.lab.LabStoreKind;
import io.jflannel.lab.PeerDataplane;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Process faults (issue 7 part 2) on one real daemon (vxlan, etcd, network 10.0.0.0/8): SIGKILL
 * at random moments of start-up never leaves a partial subnet.env; a full disk is one clear
 * fatal line and leaves the old file; SIGKILL while 5,000 peers are being programmed, with peers
 * changing while the daemon is down, converges to exactly the desired set after a restart.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ProcessFaultsIT {
  static final int PEERS = 5000;
  static final int CHURN = 500;
  /** etcd's default limit of operations per transaction. */
  static final int TXN_OPS = 128;

  LabCluster lab;
  LabNode node;
  EtcdStore etcd;

  @BeforeAll
  void up() {
    lab = FaultSupport.up("proc", 1, 0, LabBackend.VXLAN, LabStoreKind.ETCD, "10.0.0.0/8",
        List.of());
    node = lab.nodes().get(0);
    etcd = (EtcdStore) lab.store();
  }

  @AfterAll
  void down() {
    if (lab != null) {
      lab.close();
    }
  }

  // ---- subnet.env never half-written ----

  @Test
  @Order(1)
  void sigkillDuringStartupNeverLeavesAPartialSubnetEnv() throws Exception {
    FlanneldProcess daemon = lab.daemon(node);
    Path file = node.subnetFile();
    String fresh = Files.readString(file);
    assertTrue(fresh.contains("FLANNEL_MTU=1450"), fresh);
    // A different, complete previous file, so "old" and "new" can be told apart.
    String old = fresh.replace("FLANNEL_MTU=1450", "FLANNEL_MTU=1400");
    // A restart's time to subnet.env (the lab's first start also waited for the store).
    lab.restartDaemon(node);
    long startup = lab.startupTime(node).toMillis();
    daemon.stop();
    int kills = Integer.getInteger("jflannel.fault.kills", 12);
    long seed = Long.getLong("jflannel.fault.seed", System.nanoTime());
    Random random = new Random(seed);
    Map<String, Integer> outcomes = new TreeMap<>();
    for (int i = 0; i < kills; i++) {
      writeAtomically(file, old);
      // Spread kills over start-up, concentrated around the moment subnet.env is written.
      long delay = Math.round(startup * (0.5 + 0.7 * random.nextDouble()));
      daemon.start();
      FaultSupport.sleep(delay);
      daemon.kill();
      String outcome;
      if (!Files.exists(file)) {
        outcome = "absent";
      } else {
        String now = Files.readString(file);
        outcome = now.equals(old) ? "old" : now.equals(fresh) ? "new" : null;
        if (outcome == null) {
          fail("SIGKILL " + delay + " ms into start-up left a partial subnet.env:\n" + now);
        }
      }
      outcomes.merge(outcome, 1, Integer::sum);
    }
    long leftovers;
    try (Stream<Path> s = Files.list(file.getParent())) {
      leftovers = s.filter(p -> p.getFileName().toString().endsWith(".tmp")).count();
    }
    System.out.printf("%d SIGKILLs during start-up (write at ~%d ms, -Djflannel.fault.seed=%d):"
        + " %s; %d temporary files left behind%n", kills, startup, seed, outcomes, leftovers);
    lab.startDaemon(node);
    assertEquals(fresh, Files.readString(file), "a clean start writes the complete file");
  }

  @Test
  @Order(2)
  void fullDiskIsOneFatalLineAndKeepsThePreviousFile() throws Exception {
    FlanneldProcess daemon = lab.daemon(node);
    String fresh = Files.readString(node.subnetFile());
    String old = fresh.replace("FLANNEL_MTU=1450", "FLANNEL_MTU=1400");
    daemon.stop();
    Path mountPoint = Files.createDirectories(lab.workDir().resolve("full-disk"));
    Path target = mountPoint.resolve("subnet.env");
    Path stderr = lab.workDir().resolve("full-disk.stderr");
    List<String> cmd = new ArrayList<>(daemon.command());
    int at = cmd.indexOf("--subnet-file");
    cmd.set(at + 1, target.toString());
    // A private mount namespace: the tiny tmpfs exists only for this shell and the daemon.
    String script = String.join("\n",
        "set -e",
        "mount -t tmpfs -o size=16k,nr_inodes=32 jfl-flt-full \"$DIR\"",
        "printf '%s' \"$OLD\" > \"$DIR/subnet.env\"",
        "dd if=/dev/zero of=\"$DIR/filler\" bs=1k 2>/dev/null || true",
        "set +e",
        "\"$@\" 2>\"$ERR\" >/dev/null",
        "echo \"exit=$?\"",
        "cat \"$DIR/subnet.env\"");
    List<String> full = new ArrayList<>(List.of("unshare", "--mount", "--propagation", "private",
        "sh", "-c", script, "sh"));
    full.addAll(cmd);
    Exec.Result r = Exec.run(full, null, Map.of("DIR", mountPoint.toString(), "OLD", old,
        "ERR", stderr.toString()), Duration.ofSeconds(120)).check();
    String err = Files.readString(stderr);
    List<String> fatal = err.lines().filter(l -> l.startsWith("flanneld: ")).toList();
    System.out.println("full disk: " + r.stdout().lines().findFirst().orElse("") + "; " + fatal);
    assertTrue(r.stdout().startsWith("exit=1\n"), "exit status 1 on a full disk: " + r.stdout()
        + "\n" + err);
    assertEquals(1, fatal.size(), "exactly one fatal line:\n" + err);
    assertTrue(fatal.get(0).contains(target.toString()), "the fatal line names the file: "
        + fatal.get(0));
    assertTrue(fatal.get(0).endsWith(": No space left on device"), "and the cause: "
        + fatal.get(0));
    assertEquals(old, r.stdout().substring("exit=1\n".length()),
        "the previous subnet.env is intact");
    assertTrue(Exec.run("findmnt", "-n", mountPoint.toString()).stdout().isBlank(),
        "nothing stays mounted outside the private namespace");
    lab.startDaemon(node);
  }

  // ---- SIGKILL while programming 5,000 peers ----

  private static String peerSubnet(int i) {
    return "10." + (1 + i / 256) + "." + (i % 256) + ".0/24";
  }

  private static String peerIp(int i) {
    int n = i + 1;
    return "198.18." + (n / 256) + "." + (n % 256);
  }

  private static String peerMac(int i) {
    return String.format("0a:5a:00:00:%02x:%02x", (i >> 8) & 0xff, i & 0xff);
  }

  private static PeerDataplane.Peer peer(int i) {
    return new PeerDataplane.Peer(peerSubnet(i), peerIp(i), Optional.of(peerMac(i)));
  }

  /** Writes peer leases {@code from..to-1} (or deletes them) in transactions of 128 ops. */
  private void writePeers(int from, int to, boolean put) {
    for (int start = from; start < to; start += TXN_OPS) {
      StringBuilder ops = new StringBuilder("\n");
      for (int i = start; i < Math.min(to, start + TXN_OPS); i++) {
        String key = EtcdStore.leaseKey(peerSubnet(i));
        if (put) {
          String value = "{\"PublicIP\":\"" + peerIp(i) + "\",\"BackendType\":\"vxlan\","
              + "\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"" + peerMac(i) + "\"}}";
          ops.append("put ").append(key).append(" \"").append(value.replace("\"", "\\\""))
              .append("\"\n");
        } else {
          ops.append("del ").append(key).append('\n');
        }
      }
      ops.append("\n\n");
      List<String> cmd = new ArrayList<>(Exec.inNetns(lab.spec().switchNetns(), "etcdctl",
          "--endpoints", "http://127.0.0.1:2379", "txn"));
      Exec.Result r = Exec.run(cmd, ops.toString(), Map.of("ETCDCTL_API", "3"),
          Duration.ofSeconds(30)).check();
      assertTrue(r.stdout().startsWith("SUCCESS"), "etcdctl txn: " + r.stdout());
    }
  }

  /** Counts of permanent neighbours, FDB entries and routes on flannel.1 (fast, no JSON). */
  private int[] counts() {
    String ns = node.netns();
    String out = Exec.run("sh", "-c", "ip -n " + ns + " neigh show dev flannel.1 nud permanent"
        + " | wc -l; ip netns exec " + ns + " bridge fdb show dev flannel.1 | grep -c ' dst '"
        + "; ip -n " + ns + " route show dev flannel.1 | wc -l").stdout();
    String[] parts = out.strip().split("\\s+");
    int[] c = new int[3];
    for (int i = 0; i < 3 && i < parts.length; i++) {
      c[i] = Integer.parseInt(parts[i]);
    }
    return c;
  }

  @Test
  @Order(3)
  void sigkillWhileProgramming5000PeersConvergesExactlyAfterRestart() {
    FlanneldProcess daemon = lab.daemon(node);
    daemon.stop();
    long w0 = System.nanoTime();
    writePeers(0, PEERS, true);
    System.out.printf("wrote %d peer leases to etcd in %d ms%n", PEERS,
        (System.nanoTime() - w0) / 1_000_000);

    int[] atKill = null;
    for (int attempt = 1; attempt <= 3 && atKill == null; attempt++) {
      // Start from an empty dataplane each time; the daemon recreates the device.
      Exec.run("ip", "-n", node.netns(), "link", "del", "flannel.1");
      daemon.start();
      long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
      int[] c = counts();
      while (c[0] + c[1] + c[2] == 0 && System.nanoTime() < deadline && daemon.running()) {
        c = counts();
      }
      daemon.kill();
      int[] after = counts();
      int total = after[0] + after[1] + after[2];
      System.out.printf("attempt %d: SIGKILL with %d neighbours, %d fdb entries, %d routes"
          + " programmed (of %d each)%n", attempt, after[0], after[1], after[2], PEERS);
      if (total > 0 && total < 3 * PEERS) {
        atKill = after;
      }
    }
    assertTrue(atKill != null, "the kill never landed while peers were being programmed");

    // While the daemon is down: 500 peers leave, 500 others join.
    writePeers(0, CHURN, false);
    writePeers(PEERS, PEERS + CHURN, true);
    List<PeerDataplane.Peer> desired = new ArrayList<>();
    for (int i = CHURN; i < PEERS + CHURN; i++) {
      desired.add(peer(i));
    }
    PeerDataplane want = PeerDataplane.expected(LabBackend.VXLAN, desired);

    long r0 = System.nanoTime();
    lab.startDaemon(node);
    Duration converged = FaultSupport.timeUntil("convergence to " + PEERS + " peers",
        Duration.ofSeconds(120), () -> {
          int[] c = counts();
          return c[0] == PEERS && c[1] == PEERS && c[2] == PEERS;
        });
    PeerDataplane have = lab.observedOn(node);
    String diff = have.diff(want);
    long stale = diff.lines().filter(l -> l.contains("stale")).count();
    long missing = diff.lines().filter(l -> l.contains("missing")).count();
    System.out.printf("restart after SIGKILL: %d peers converged %d ms after start"
        + " (%d ms after subnet.env); %d stale, %d missing%n", PEERS,
        (System.nanoTime() - r0) / 1_000_000, converged.toMillis(), stale, missing);
    assertEquals("", diff, "exactly the desired peers: " + stale + " stale, " + missing
        + " missing");
  }

  private static void writeAtomically(Path file, String content) throws IOException {
    Path tmp = file.resolveSibling("test-" + file.getFileName() + ".partial");
    Files.writeString(tmp, content);
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }
}
