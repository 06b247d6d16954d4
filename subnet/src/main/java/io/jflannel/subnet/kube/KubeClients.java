package io.jflannel.subnet.kube;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeList;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.jflannel.subnet.SubnetException;
import java.io.File;
import java.util.List;

/** Builds the Kubernetes client from {@code --kube-api-url} and {@code --kubeconfig-file}. */
public final class KubeClients {

  private KubeClients() {}

  /**
   * A client on the JDK HTTP stack (lighter than the Vert.x one, docs/ENVIRONMENT).
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
    return new KubernetesClientBuilder()
        .withConfig(config)
        .withHttpClientFactory(new JdkHttpClientFactory())
        .withKubernetesSerialization(serialization())
        .build();
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
}
