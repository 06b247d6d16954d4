package io.jflannel.e2e.fault;

import io.jflannel.lab.KubeStore;
import io.jflannel.lab.LabStoreKind;

/**
 * Store faults with the Kubernetes API (the lab's API mock process): unreachable for the
 * outage while a node leaves and another joins.
 */
class KubeOutageIT extends StoreOutageSuite {
  @Override
  LabStoreKind store() {
    return LabStoreKind.KUBE;
  }

  @Override
  int storePort() {
    return KubeStore.PORT;
  }
}
