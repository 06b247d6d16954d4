package io.jflannel.e2e;

import io.jflannel.lab.LabStoreKind;

/** Daemon lifecycle against a real etcd. */
class DaemonLifecycleEtcdIT extends DaemonLifecycleSuite {
  @Override
  LabStoreKind store() {
    return LabStoreKind.ETCD;
  }
}
