package io.jflannel.e2e;

import io.jflannel.lab.LabBackend;
import io.jflannel.lab.LabStoreKind;

/**
 * The end-to-end suite with the vxlan backend and the etcd store, every flanneld run
 * from the container image as kube-flannel's DaemonSet runs it (docs/image.md).
 */
class VxlanEtcdImageIT extends FlannelE2eSuite {
  @Override
  LabBackend backend() {
    return LabBackend.VXLAN;
  }

  @Override
  LabStoreKind store() {
    return LabStoreKind.ETCD;
  }

  @Override
  boolean fromImage() {
    return true;
  }
}
