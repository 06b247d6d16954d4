package io.jflannel.subnet.kube;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeList;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.http.HttpClient;
import io.fabric8.kubernetes.client.internal.CertUtils;
import io.fabric8.kubernetes.client.internal.SSLUtils;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.jflannel.subnet.SubnetException;
import io.jflannel.subnet.Threads;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;

/** Builds the Kubernetes client from {@code --kube-api-url} and {@code --kubeconfig-file}. */
public final class KubeClients {

  private KubeClients() {}

  /**
   * A client on the JDK HTTP stack (lighter than the Vert.x one, docs/ENVIRONMENT), trusting
   * only the cluster CA when one is configured ({@link ApiServerTrust}).
   *
   * <ul>
   *   <li>kubeconfig file given: its current context; {@code apiUrl}, if given, replaces its server;
   *   <li>only {@code apiUrl}: that server with no credentials (as upstream);
   *   <li>neither: in-cluster service account, else the usual kubeconfig lookup.
   * </ul>
   *
   * @param apiUrl         {@code --kube-api-url}, empty or null when unset
   * @param kubeconfigFile {@code --kubeconfig-file}, empty or null when unset
   * @throws SubnetException when the kubeconfig file is missing or unreadable
   */
  public static KubernetesClient create(String apiUrl, String kubeconfigFile) throws SubnetException {
    boolean hasUrl = apiUrl != null && !apiUrl.isBlank();
    boolean hasFile = kubeconfigFile != null && !kubeconfigFile.isBlank();
    Config config;
    if (hasFile) {
      File f = new File(kubeconfigFile.strip());
      if (!f.canRead()) {
        throw new SubnetException("kubeconfig file " + f + " does not exist or is not readable");
      }
      try {
        config = Config.fromKubeconfig(null, f);
      } catch (RuntimeException e) {
        throw new SubnetException("reading kubeconfig file " + f + ": " + e.getMessage(), e);
      }
    } else if (hasUrl) {
      config = Config.empty();
    } else {
      config = Config.autoConfigure(null);
    }
    if (hasUrl) {
      config.setMasterUrl(apiUrl.strip());
    }
    // HTTP/1.1 (docs/decisions/0842): the node watch is a WebSocket, which the JDK runs over
    // HTTP/1.1 anyway; the few other calls gain nothing from HTTP/2, whose client code and
    // HPACK tables would stay resident.
    config.setHttp2Disable(true);
    try {
      return new KubernetesClientBuilder()
          .withConfig(config)
          .withTaskExecutorSupplier(new TaskPool())
          .withHttpClientFactory(new ApiServerTrust())
          .withKubernetesSerialization(serialization())
          .build();
    } catch (KubernetesClientException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      throw new SubnetException("setting up the Kubernetes client: " + cause.getMessage(), e);
    }
  }

  /**
   * fabric8's serialization without its class-path scan: by default its first use
   * instantiates every {@code KubernetesResource} listed by the model jars' service files
   * (about 600 classes of every API group) to map kinds to classes. flanneld reads and writes
   * Nodes only, and error responses as Status, so it registers those kinds itself
   * (docs/decisions/0838). A kind it does not know would come back as a
   * {@code GenericKubernetesResource}, never as a failure to parse.
   */
  static KubernetesSerialization serialization() {
    KubernetesSerialization s = new KubernetesSerialization(new ObjectMapper(), false);
    for (Class<? extends KubernetesResource> kind : List.of(Node.class, NodeList.class, Status.class)) {
      s.registerKubernetesResource(kind);
    }
    return s;
  }

  /** How long an idle thread of the client's pools lives (decision 0850; the JDK's cached pools: 60 s). */
  static final long POOL_THREAD_IDLE_SECONDS = 3;

  /**
   * A cached pool like fabric8's and the JDK HTTP client's own (a thread per concurrent task,
   * no queue, so a task that waits for another never dead-locks), whose idle threads end after
   * {@link #POOL_THREAD_IDLE_SECONDS} instead of 60 s: the client works in bursts (the list, a
   * watch event) and each idle thread keeps its stack pages resident (docs/decisions/0850).
   */
  static ExecutorService shortLivedPool(String role) {
    return new ThreadPoolExecutor(0, Integer.MAX_VALUE, POOL_THREAD_IDLE_SECONDS, TimeUnit.SECONDS,
        new SynchronousQueue<>(), Threads.factory(role));
  }

  /** fabric8's task executor (informer dispatch, watch reconnects): a short-lived pool, shut down with the client. */
  static final class TaskPool implements KubernetesClientBuilder.ExecutorSupplier {
    @Override
    public Executor get() {
      return shortLivedPool("kube-task");
    }

    @Override
    public void onClose(Executor executor) {
      ((ExecutorService) executor).shutdownNow();
    }
  }

  /**
   * fabric8's JDK HTTP client, trusting for the API server what client-go trusts
   * (docs/decisions/0841). fabric8 alone adds a configured cluster CA to the JDK's bundle of
   * public CAs (about 150 certificates parsed and held for the client's lifetime); here:
   *
   * <ul>
   *   <li>a CA configured (in-cluster {@code ca.crt}, kubeconfig {@code certificate-authority}):
   *       exactly those certificates;
   *   <li>a plain {@code http://} API URL: nothing (TLS is never used);
   *   <li>otherwise fabric8's choice: {@code insecure-skip-tls-verify}, an explicit trust store
   *       file, or the JDK's CAs when nothing else is given (client-go's system roots).
   * </ul>
   */
  static final class ApiServerTrust extends JdkHttpClientFactory {
    /** The pools of the JDK clients this factory built (one per client; derived clients share it). */
    private final List<ExecutorService> pools = new CopyOnWriteArrayList<>();

    /** The JDK client runs its callbacks (response bodies, WebSocket messages) on a short-lived pool. */
    @Override
    protected java.net.http.HttpClient.Builder createNewHttpClientBuilder() {
      ExecutorService pool = shortLivedPool("kube-http");
      pools.add(pool);
      return java.net.http.HttpClient.newBuilder().executor(pool);
    }

    /** fabric8 calls this once, when the client and the clients derived from it are closed. */
    @Override
    protected void closeHttpClient(io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientImpl client) {
      super.closeHttpClient(client);
      pools.forEach(ExecutorService::shutdownNow);
      pools.clear();
    }

    @Override
    public HttpClient.Builder newBuilder(Config config) {
      TrustManager[] trust;
      try {
        trust = trustManagers(config);
      } catch (GeneralSecurityException | IOException e) {
        throw KubernetesClientException.launderThrowable(e);
      }
      if (trust == null) {
        return super.newBuilder(config);
      }
      // fabric8's common configuration (timeouts, proxy, credentials) without its trust store:
      // told to trust everything it builds a trivial manager, which is replaced right below.
      Boolean trustCerts = config.getTrustCerts();
      HttpClient.Builder builder;
      config.setTrustCerts(Boolean.TRUE);
      try {
        builder = super.newBuilder(config);
      } finally {
        config.setTrustCerts(trustCerts);
      }
      try {
        return builder.sslContext(SSLUtils.keyManagers(config), trust);
      } catch (GeneralSecurityException | IOException e) {
        throw KubernetesClientException.launderThrowable(e);
      }
    }
  }

  /**
   * The trust managers {@link ApiServerTrust} installs, or null to leave the choice to fabric8.
   */
  static TrustManager[] trustManagers(Config config) throws GeneralSecurityException, IOException {
    if (config.isTrustCerts() || notBlank(config.getTrustStoreFile())) {
      return null;
    }
    KeyStore anchors = KeyStore.getInstance(KeyStore.getDefaultType());
    anchors.load(null, null);
    if (notBlank(config.getCaCertData()) || notBlank(config.getCaCertFile())) {
      Collection<? extends Certificate> cas;
      try (InputStream in = CertUtils.getInputStreamFromDataOrFile(config.getCaCertData(), config.getCaCertFile())) {
        cas = CertificateFactory.getInstance("X.509").generateCertificates(in);
      }
      if (cas.isEmpty()) {
        throw new GeneralSecurityException("the cluster CA ("
            + (notBlank(config.getCaCertFile()) ? config.getCaCertFile() : "certificate-authority-data")
            + ") holds no certificate");
      }
      int i = 0;
      for (Certificate ca : cas) {
        anchors.setCertificateEntry("cluster-ca-" + i++, ca);
      }
    } else {
      String url = config.getMasterUrl() == null ? "" : config.getMasterUrl().toLowerCase(Locale.ROOT);
      if (!url.startsWith("http://")) {
        return null;
      }
    }
    TrustManagerFactory f = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    f.init(anchors);
    return f.getTrustManagers();
  }

  private static boolean notBlank(String s) {
    return s != null && !s.isBlank();
  }
}
