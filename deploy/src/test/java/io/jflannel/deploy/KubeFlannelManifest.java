package io.jflannel.deploy;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** deploy/kube-flannel.yml parsed into typed Kubernetes objects, in file order. */
record KubeFlannelManifest(List<HasMetadata> objects) {

  static KubeFlannelManifest load() throws IOException {
    return load(RepoFiles.manifest());
  }

  static KubeFlannelManifest load(Path file) throws IOException {
    Object parsed;
    try (InputStream in = Files.newInputStream(file)) {
      parsed = new KubernetesSerialization().unmarshal(in);
    }
    List<HasMetadata> objects = new ArrayList<>();
    if (parsed instanceof List<?> list) {
      for (Object o : list) {
        objects.add(asResource(file, o));
      }
    } else {
      objects.add(asResource(file, parsed));
    }
    return new KubeFlannelManifest(List.copyOf(objects));
  }

  private static HasMetadata asResource(Path file, Object o) {
    if (o instanceof HasMetadata h) {
      return h;
    }
    throw new IllegalArgumentException(file + ": a document is not a Kubernetes object: " + o);
  }

  /** The one object of this type and name; fails naming what is missing or duplicated. */
  <T extends HasMetadata> T the(Class<T> type, String name) {
    List<T> found = objects.stream()
        .filter(type::isInstance)
        .map(type::cast)
        .filter(o -> Objects.equals(o.getMetadata().getName(), name))
        .toList();
    if (found.size() != 1) {
      throw new AssertionError("expected one " + type.getSimpleName() + " '" + name + "', found " + found.size());
    }
    return found.get(0);
  }

  Namespace namespace() {
    return the(Namespace.class, "kube-flannel");
  }

  ServiceAccount serviceAccount() {
    return the(ServiceAccount.class, "flannel");
  }

  ClusterRole clusterRole() {
    return the(ClusterRole.class, "flannel");
  }

  ClusterRoleBinding clusterRoleBinding() {
    return the(ClusterRoleBinding.class, "flannel");
  }

  ConfigMap configMap() {
    return the(ConfigMap.class, "kube-flannel-cfg");
  }

  DaemonSet daemonSet() {
    return the(DaemonSet.class, "kube-flannel-ds");
  }

  /** The flanneld container of the DaemonSet. */
  Container flanneldContainer() {
    return container(daemonSet().getSpec().getTemplate().getSpec().getContainers(), "kube-flannel");
  }

  /** The arguments the DaemonSet passes to flanneld (after the command), as flanneld receives them. */
  List<String> containerArgs() {
    return List.copyOf(flanneldContainer().getArgs());
  }

  static Container container(List<Container> containers, String name) {
    return containers.stream()
        .filter(c -> name.equals(c.getName()))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no container named " + name));
  }
}
