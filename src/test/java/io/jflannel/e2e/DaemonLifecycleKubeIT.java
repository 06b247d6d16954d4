package io.jflannel.e2e;

import io.jflannel.lab.LabStoreKind;

/** Daemon lifecycle against the Kubernetes API (fabric8 mock server process). */
class DaemonLifecycleKubeIT extends DaemonLifecycleSuite {
  @Override
  LabStoreKind store() {
    return LabStoreKind.KUBE;
  }
}
