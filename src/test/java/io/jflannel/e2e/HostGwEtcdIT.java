package io.jflannel.e2e;

import io.jflannel.lab.LabBackend;
import io.jflannel.lab.LabStoreKind;

/** The end-to-end suite with the host-gw backend and the etcd store. */
class HostGwEtcdIT extends FlannelE2eSuite {
  @Override
  LabBackend backend() {
    return LabBackend.HOST_GW;
  }

  @Override
  LabStoreKind store() {
    return LabStoreKind.ETCD;
  }
}
