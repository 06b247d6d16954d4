package io.jflannel.daemon;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.fabric8.kubernetes.client.KubernetesClient;
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
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import org.slf4j.LoggerFactory;

/**
 * The training runs behind the AppCDS archives ({@code flanneld-etcd.jsa},
 * {@code flanneld-kube.jsa}): walk the start-up path without touching the host (flag parsing,
 * logging, a netlink dump, JSON, the store's client against a closed local port, metrics) and
 * load every jflannel class of that store, so the JVM's dynamic archive holds the classes a
 * real start loads. Selected by the system property {@code jflannel.cds.training=etcd|kube},
 * from which the launcher also takes the store's class path; the build sets it together with
 * {@code -XX:ArchiveClassesAtExit}. ({@code true} trains both, which needs both stores'
 * libraries: a class path the launcher does not build, decision 0837.) See docs/decisions/0800
 * and 0831.
 */
final class CdsTraining {
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
   * Runs the training for one subnet store: {@code "etcd"} or {@code "kube"} leave the other
   * store's client (and its classes) out of the archive; anything else trains both.
   */
  static void run(String store) {
    boolean withEtcd = !"kube".equals(store);
    boolean withKube = !"etcd".equals(store);
    FlagParser.parse(withEtcd
        ? List.of("--etcd-endpoints", CLOSED, "--iface", "eth0", "--ip-masq")
        : List.of("--kube-subnet-mgr", "--iface", "eth0", "--ip-masq"), Map.of());
    LoggerFactory.getLogger(CdsTraining.class).info("AppCDS training run (no host changes)");
    quietly(() -> NetworkConfigParser.parse("{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}"));
    quietly(() -> LeaseAttrsJson.write(LeaseAttrsJson.read("{\"PublicIP\":\"192.0.2.1\",\"PublicIPv6\":null,"
        + "\"BackendType\":\"vxlan\",\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"0e:00:00:00:00:01\"}}")));
    quietly(() -> new FlannelMetrics(Version.current()).scrape());
    quietly(CdsTraining::netlink);
    if (withEtcd) {
      quietly(CdsTraining::etcd);
    }
    if (withKube) {
      quietly(CdsTraining::kube);
    }
    List<String> skipped = new java.util.ArrayList<>();
    if (!withEtcd) {
      skipped.add("io/jflannel/subnet/etcd/");
    }
    if (!withKube) {
      skipped.add("io/jflannel/subnet/kube/");
    }
    loadOwnClasses(skipped);
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

  private static Object etcd() throws Exception {
    try (Client etcd = Client.builder().endpoints(CLOSED).build()) {
      etcd.getKVClient().get(ByteSequence.from("/coreos.com/network/config", StandardCharsets.UTF_8))
          .get(2, TimeUnit.SECONDS);
    }
    return null;
  }

  private static Object kube() throws Exception {
    try (KubernetesClient kube = KubeClients.create(CLOSED, null)) {
      // The Node model (a few hundred classes) is otherwise first loaded by the first list.
      kube.getKubernetesSerialization().unmarshal(TRAINING_NODES, io.fabric8.kubernetes.api.model.NodeList.class);
      kube.getKubernetesSerialization().unmarshal(TRAINING_EVENT, io.fabric8.kubernetes.api.model.WatchEvent.class);
      CompletableFuture.supplyAsync(() -> kube.nodes().withName("training").get()).get(2, TimeUnit.SECONDS);
    }
    return null;
  }

  /** Loads (without initializing) every class of the jflannel jars on the class path, except under {@code skippedPackages}. */
  private static void loadOwnClasses(List<String> skippedPackages) {
    ClassLoader loader = CdsTraining.class.getClassLoader();
    for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
      if (!entry.contains("jflannel-") || !entry.endsWith(".jar")) {
        continue;
      }
      try (JarFile jar = new JarFile(Path.of(entry).toFile())) {
        jar.stream().map(e -> e.getName())
            .filter(n -> n.startsWith("io/jflannel/") && n.endsWith(".class") && !n.contains("module-info"))
            .filter(n -> skippedPackages.stream().noneMatch(n::startsWith))
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
