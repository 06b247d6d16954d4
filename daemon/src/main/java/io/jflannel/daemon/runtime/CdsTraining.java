package io.jflannel.daemon.runtime;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.jflannel.daemon.Version;
import io.jflannel.daemon.flags.CommandLineOutcome;
import io.jflannel.daemon.flags.FlagParser;
import io.jflannel.daemon.metrics.FlannelMetrics;
import io.jflannel.netlink.Families;
import io.jflannel.netlink.Netlink;
import io.jflannel.netlink.RouteFilter;
import io.jflannel.subnet.LeaseAttrsJson;
import io.jflannel.subnet.NetworkConfigParser;
import io.jflannel.subnet.kube.KubeClients;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import org.slf4j.LoggerFactory;

/**
 * The training run behind an AppCDS archive ({@code flanneld-etcd.jsa}, {@code flanneld-kube.jsa}):
 * walks the start-up path without touching the host (flag parsing, logging, a netlink dump,
 * JSON, the store's client against a closed local port, metrics) and loads every jflannel class
 * of that store, so that the JVM's dynamic archive holds the classes a real start loads.
 *
 * <p>A build-time entry point of its own, never a mode of {@code flanneld}: the daemon's build
 * and the image's {@code make-cds-archive.sh} run the launcher with this class as its main
 * class ({@code JFLANNEL_MAIN}) and {@code -XX:ArchiveClassesAtExit}, so the archive records
 * the very class path and JVM flags a daemon starts with. The store is taken from the
 * arguments and the environment as the daemon takes it ({@code --kube-subnet-mgr},
 * {@code FLANNELD_KUBE_SUBNET_MGR}); the launcher has already chosen that store's libraries
 * from the same command line (docs/decisions/0800, 0831, 0837, 0910).
 */
public final class CdsTraining {
  /** Nothing listens here; the clients fail fast after loading their connection classes. */
  private static final String CLOSED = "http://127.0.0.1:1";

  private static final String TRAINING_NODE = "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"n1\","
      + "\"resourceVersion\":\"1\",\"labels\":{\"kubernetes.io/hostname\":\"n1\"},\"annotations\":{"
      + "\"flannel.alpha.coreos.com/backend-type\":\"vxlan\",\"flannel.alpha.coreos.com/backend-data\":"
      + "\"{\\\"VNI\\\":1,\\\"VtepMAC\\\":\\\"0e:00:00:00:00:01\\\"}\",\"flannel.alpha.coreos.com/public-ip\":\"192.0.2.1\","
      + "\"flannel.alpha.coreos.com/kube-subnet-manager\":\"true\"}},\"spec\":{\"podCIDR\":\"10.244.1.0/24\","
      + "\"podCIDRs\":[\"10.244.1.0/24\"]},\"status\":{\"addresses\":[{\"type\":\"InternalIP\",\"address\":\"192.0.2.1\"}],"
      + "\"conditions\":[{\"type\":\"NetworkUnavailable\",\"status\":\"False\",\"reason\":\"FlannelIsUp\"}]}}";
  private static final String TRAINING_NODES = "{\"apiVersion\":\"v1\",\"kind\":\"NodeList\",\"metadata\":"
      + "{\"resourceVersion\":\"1\"},\"items\":[" + TRAINING_NODE + "]}";
  private static final String TRAINING_EVENT = "{\"type\":\"ADDED\",\"object\":" + TRAINING_NODE + "}";

  private CdsTraining() {
  }

  /**
   * Trains for the store that {@code args} (flanneld's flags) and the environment select, read
   * by the daemon's own parser, then exits 0. Flags the daemon would refuse, or a class path of
   * the other store, end it as they end the daemon (status 2, status 1).
   */
  public static void main(String[] args) {
    List<String> flags = new ArrayList<>(List.of(args));
    flags.addAll(List.of("--iface", "eth0", "--ip-masq")); // more of the parser's paths
    CommandLineOutcome outcome = FlagParser.parse(flags, System.getenv());
    if (outcome instanceof CommandLineOutcome.Exit exit) {
      System.out.print(exit.stdout());
      System.err.print(exit.stderr());
      System.exit(exit.status());
    }
    boolean kube = ((CommandLineOutcome.Start) outcome).options().kube().enabled();
    String mismatch = ClassPathStore.mismatch(System.getProperty(ClassPathStore.PROPERTY), kube);
    if (mismatch != null) {
      System.err.println(mismatch);
      System.exit(1);
    }
    train(kube);
    // The stores' clients may leave non-daemon threads behind; the archive is written at exit.
    System.exit(0);
  }

  /**
   * Walks the start-up path of one subnet store; the other store's client (and its classes)
   * stay out of the archive.
   */
  private static void train(boolean kube) {
    LoggerFactory.getLogger(CdsTraining.class).info("AppCDS training run (no host changes)");
    quietly(() -> NetworkConfigParser.parse("{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}"));
    quietly(() -> LeaseAttrsJson.write(LeaseAttrsJson.read("{\"PublicIP\":\"192.0.2.1\",\"PublicIPv6\":null,"
        + "\"BackendType\":\"vxlan\",\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"0e:00:00:00:00:01\"}}")));
    quietly(() -> new FlannelMetrics(Version.current()).scrape());
    quietly(CdsTraining::netlink);
    if (kube) {
      quietly(CdsTraining::kubeClient);
    } else {
      quietly(CdsTraining::etcdClient);
    }
    loadOwnClasses(kube ? "io/jflannel/subnet/etcd/" : "io/jflannel/subnet/kube/");
  }

  private static Object netlink() throws Exception {
    if (Netlink.isAvailable()) {
      try (Netlink nl = Netlink.open()) {
        nl.links();
        nl.routes(RouteFilter.main(Families.AF_INET));
      }
    }
    return null;
  }

  private static Object etcdClient() throws Exception {
    try (Client etcd = Client.builder().endpoints(CLOSED).build()) {
      etcd.getKVClient().get(ByteSequence.from("/coreos.com/network/config", StandardCharsets.UTF_8))
          .get(2, TimeUnit.SECONDS);
    }
    return null;
  }

  private static Object kubeClient() throws Exception {
    try (KubernetesClient kube = KubeClients.create(CLOSED, null)) {
      // The Node model (a few hundred classes) is otherwise first loaded by the first list.
      kube.getKubernetesSerialization().unmarshal(TRAINING_NODES, io.fabric8.kubernetes.api.model.NodeList.class);
      kube.getKubernetesSerialization().unmarshal(TRAINING_EVENT, io.fabric8.kubernetes.api.model.WatchEvent.class);
      CompletableFuture.supplyAsync(() -> kube.nodes().withName("training").get()).get(2, TimeUnit.SECONDS);
    }
    return null;
  }

  /** Loads (without initializing) every class of the jflannel jars on the class path, except under {@code skipped}. */
  private static void loadOwnClasses(String skipped) {
    ClassLoader loader = CdsTraining.class.getClassLoader();
    for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
      if (!entry.contains("jflannel-") || !entry.endsWith(".jar")) {
        continue;
      }
      try (JarFile jar = new JarFile(Path.of(entry).toFile())) {
        jar.stream().map(e -> e.getName())
            .filter(n -> n.startsWith("io/jflannel/") && n.endsWith(".class") && !n.contains("module-info"))
            .filter(n -> !n.startsWith(skipped))
            .forEach(n -> {
              try {
                Class.forName(n.substring(0, n.length() - 6).replace('/', '.'), false, loader);
              } catch (ClassNotFoundException | LinkageError e) {
                // optional parts (e.g. a missing native library) do not belong in the archive
              }
            });
      } catch (IOException e) {
        // an unreadable jar only leaves its classes out of the archive
      }
    }
  }

  private interface Step {
    Object run() throws Exception;
  }

  private static void quietly(Step step) {
    try {
      step.run();
    } catch (Exception | LinkageError e) {
      // expected: the clients cannot connect; what matters is the classes they loaded
    }
  }

}
