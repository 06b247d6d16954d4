package io.jflannel.daemon.run;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.jflannel.daemon.flags.FlanneldOptions;
import io.jflannel.subnet.NetworkConfig;
import io.jflannel.subnet.NetworkConfigParser;
import io.jflannel.subnet.SubnetEnv;
import io.jflannel.subnet.SubnetException;
import io.jflannel.subnet.SubnetManager;
import io.jflannel.subnet.etcd.EtcdOptions;
import io.jflannel.subnet.etcd.EtcdSubnetManager;
import io.jflannel.subnet.kube.KubeClients;
import io.jflannel.subnet.kube.KubeOptions;
import io.jflannel.subnet.kube.KubeSubnetManager;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Deque;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedDeque;
import io.jflannel.subnet.Threads;
import org.slf4j.LoggerFactory;
import java.util.Map;

/**
 * Opens the store the flags select (the Kubernetes API or etcd) and reads the network config
 * from it (kube mode: from {@code --net-config-path}).
 */
public final class StoreFactory {
  private final FlanneldOptions options;
  private final Map<String, String> env;

  public StoreFactory(FlanneldOptions options, Map<String, String> env) {
    this.options = options;
    this.env = env;
  }

  /** The store's subnet manager and the network config read from it. */
  public record Store(SubnetManager subnets, NetworkConfig config) {
  }

  /**
   * Opens the store on its own thread: initialising the store client (gRPC and vert.x, or
   * fabric8) and reading the network config take a few hundred milliseconds of class loading
   * and a round trip, which the caller spends opening netlink meanwhile (docs/decisions/0804).
   */
  Opening openAsync(SubnetEnv previous) {
    Opening o = new Opening();
    Threads.daemon(() -> {
      try {
        o.store.complete(open(previous, o.owned, o.configWait));
      } catch (Throwable e) {
        // Errors too (a class missing from a broken install): a future left incomplete would
        // leave the caller waiting for good.
        o.store.completeExceptionally(e);
      }
    }, "store-init").start();
    return o;
  }

  /** A store being opened by {@link #openAsync}. */
  static final class Opening {
    private final Deque<AutoCloseable> owned = new ConcurrentLinkedDeque<>();
    private final CompletableFuture<Store> store = new CompletableFuture<>();
    private final ConfigWait configWait = new ConfigWait();

    /**
     * Waits for the store, or for {@code stop} (a signal: the etcd config may never come);
     * empty when {@code stop} came first, and then what the store thread opens is closed when it
     * is done. Otherwise what it opened joins {@code resources} (in its order) whatever the
     * outcome.
     */
    Optional<Store> join(Deque<AutoCloseable> resources, CompletableFuture<?> stop) throws FatalException {
      CompletableFuture.anyOf(store, stop).handle((v, e) -> null).join();
      if (!store.isDone()) {
        abandon();
        return Optional.empty();
      }
      return Optional.of(join(resources));
    }

    /**
     * Waits for the store; what it opened joins {@code resources} (in its order) whatever the
     * outcome.
     */
    Store join(Deque<AutoCloseable> resources) throws FatalException {
      try {
        return store.join();
      } catch (CompletionException e) {
        if (e.getCause() instanceof FatalException f) {
          throw f;
        }
        if (e.getCause() instanceof Error err) {
          throw err;
        }
        throw e.getCause() instanceof RuntimeException r ? r : e;
      } finally {
        for (AutoCloseable c = owned.pollLast(); c != null; c = owned.pollLast()) {
          resources.push(c);
        }
      }
    }

    /**
     * The caller is exiting: a wait for the etcd config ends, and whatever the store thread
     * opens is closed when it is done.
     */
    void abandon() {
      configWait.cancel();
      store.whenComplete((ok, err) -> {
        for (AutoCloseable c = owned.pollFirst(); c != null; c = owned.pollFirst()) {
          try {
            c.close();
          } catch (Exception e) {
            LoggerFactory.getLogger(StoreFactory.class).debug("closing {} failed", c, e);
          }
        }
      });
    }
  }

  /**
   * Opens the store; what it opens goes into {@code owned} (closed in reverse order), the
   * manager last.
   */
  Store open(SubnetEnv previous, Deque<AutoCloseable> owned, ConfigWait configWait) throws FatalException {
    SubnetManager m = subnetManager(previous, owned);
    owned.push(m);
    if (configWait != null && m instanceof EtcdSubnetManager) {
      // Upstream waits for etcd and for a valid config key, however long it takes (decision 1010).
      return new Store(m, configWait.await(m::networkConfig)
          .orElseThrow(() -> new CancellationException("stopped while waiting for the network config")));
    }
    try {
      return new Store(m, m.networkConfig());
    } catch (SubnetException e) {
      throw new FatalException(e.getMessage(), e);
    }
  }

  /**
   * Opens the store once, without waiting for etcd or its config key (what a one-shot command
   * such as {@code flanneld check} wants): a missing config is a {@link FatalException}.
   */
  public Store open(SubnetEnv previous, Deque<AutoCloseable> owned) throws FatalException {
    return open(previous, owned, null);
  }

  private SubnetManager subnetManager(SubnetEnv previous, Deque<AutoCloseable> owned) throws FatalException {
    try {
      if (options.kube().enabled()) {
        NetworkConfig cfg = kubeNetworkConfig();
        KubernetesClient client = KubeClients.create(options.kube().apiUrl(), options.kube().kubeconfigFile());
        // The manager borrows the client; closed after it (resources close in reverse order).
        owned.push(client);
        KubeOptions kopts = KubeOptions.fromEnvironment(env)
            .withAnnotationPrefix(options.kube().annotationPrefix())
            .withSetNodeNetworkUnavailable(options.kube().setNodeNetworkUnavailable());
        return KubeSubnetManager.create(client, cfg, env, kopts);
      }
      FlanneldOptions.Etcd e = options.etcd();
      EtcdOptions eo = EtcdOptions.of(e.endpoints())
          .withPrefix(e.prefix())
          .withTls(e.keyFile(), e.certFile(), e.caFile())
          .withCredentials(e.username(), e.password())
          .withLease(EtcdOptions.DEFAULT_TTL, options.subnetLeaseRenewMargin());
      return new EtcdSubnetManager(eo, previous);
    } catch (SubnetException | IllegalArgumentException ex) {
      throw new FatalException(ex.getMessage(), ex);
    }
  }

  private NetworkConfig kubeNetworkConfig() throws FatalException {
    var path = options.kube().netConfigPath();
    String json;
    try {
      // Checked before reading so a runaway file (a log redirected by mistake) is not loaded.
      long size = Files.size(path);
      if (size > NetworkConfigParser.MAX_CONFIG_CHARS) {
        throw new FatalException("network config " + path + " is too large: " + size
            + " bytes, the limit is " + NetworkConfigParser.MAX_CONFIG_CHARS);
      }
      json = Files.readString(path, StandardCharsets.UTF_8);
    } catch (java.nio.charset.MalformedInputException e) {
      throw new FatalException("network config " + path + " is not valid UTF-8", e);
    } catch (IOException e) {
      throw new FatalException("cannot read network config " + path + ": " + e.getMessage(), e);
    }
    try {
      return NetworkConfigParser.parseForKube(json);
    } catch (SubnetException e) {
      throw new FatalException("network config " + path + ": " + e.getMessage(), e);
    }
  }
}
