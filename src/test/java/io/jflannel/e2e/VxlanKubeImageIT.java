package io.jflannel.e2e;

import io.jflannel.lab.LabBackend;
import io.jflannel.lab.LabStoreKind;

/**
 * The end-to-end suite with the vxlan backend and the Kubernetes API store, every flanneld run
 * from the container image as kube-flannel's DaemonSet runs it (docs/image.md).
 */
class VxlanKubeImageIT extends FlannelE2eSuite {
  @Override
  LabBackend backend() {
    return LabBackend.VXLAN;
  }

  @Override
  LabStoreKind store() {
    return LabStoreKind.KUBE;
  }

  @Override
  boolean fromImage() {
    return true;
  }
}
