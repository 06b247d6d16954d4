package io.jflannel.e2e;

import io.jflannel.lab.LabBackend;
import io.jflannel.lab.LabStoreKind;

/** The end-to-end suite with the vxlan backend and the kube store. */
class VxlanKubeIT extends FlannelE2eSuite {
  @Override
  LabBackend backend() {
    return LabBackend.VXLAN;
  }

  @Override
  LabStoreKind store() {
    return LabStoreKind.KUBE;
  }
}
