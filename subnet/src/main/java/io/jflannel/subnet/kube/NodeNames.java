package io.jflannel.subnet.kube;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.jflannel.subnet.SubnetException;
import java.util.Map;

/** Finds the name of the node this daemon runs on. */
public final class NodeNames {

  private NodeNames() {}

  /** Core v1 pods, named in full: no discovery request to learn the plural. */
  private static final ResourceDefinitionContext POD = new ResourceDefinitionContext.Builder()
      .withGroup("").withVersion("v1").withKind("Pod").withPlural("pods").withNamespaced(true).build();

  /**
   * {@code NODE_NAME} when set; otherwise the {@code spec.nodeName} of the pod named by
   * {@code POD_NAME} in {@code POD_NAMESPACE} (RBAC: {@code pods: get}).
   *
   * @param env the process environment (a map so tests can pass their own)
   * @throws SubnetException when neither is set, the pod cannot be read or is not scheduled
   */
  public static String resolve(KubernetesClient client, Map<String, String> env) throws SubnetException {
    String node = trimmed(env.get("NODE_NAME"));
    if (node != null) {
      return node;
    }
    String pod = trimmed(env.get("POD_NAME"));
    String ns = trimmed(env.get("POD_NAMESPACE"));
    if (pod == null || ns == null) {
      throw new SubnetException(
          "cannot tell which node this is: set NODE_NAME, or POD_NAME and POD_NAMESPACE");
    }
    // Read generically (maps), not as a Pod: flanneld needs one field, and a typed read would
    // build and keep Jackson deserializers for the whole Pod model (decision 0847).
    GenericKubernetesResource p;
    try {
      p = client.genericKubernetesResources(POD).inNamespace(ns).withName(pod).get();
    } catch (KubernetesClientException e) {
      throw new SubnetException("reading pod " + ns + "/" + pod + " to find the node name: "
          + e.getMessage(), e);
    }
    if (p == null) {
      throw new SubnetException("pod " + ns + "/" + pod
          + " (POD_NAMESPACE/POD_NAME) not found; cannot find the node name");
    }
    Object spec = p.getAdditionalProperties().get("spec");
    Object nodeName = spec instanceof Map<?, ?> m ? m.get("nodeName") : null;
    String fromSpec = nodeName instanceof String n ? trimmed(n) : null;
    if (fromSpec == null) {
      throw new SubnetException("pod " + ns + "/" + pod + " has no spec.nodeName");
    }
    return fromSpec;
  }

  private static String trimmed(String s) {
    return s == null || s.isBlank() ? null : s.strip();
  }
}
