package io.jflannel.daemon.cleanup;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** CAP_NET_ADMIN read from {@code /proc/self/status} text. */
class NetAdminCapabilityTest {

  static String status(String capEff) {
    return "Name:\tjava\nUid:\t0\t0\t0\t0\nCapInh:\t0000000000000000\nCapPrm:\t000001ffffffffff\n"
        + "CapEff:\t" + capEff + "\nCapBnd:\t000001ffffffffff\n";
  }

  @Test
  void rootHasIt() {
    assertTrue(NetAdminCapability.effective(status("000001ffffffffff")));
  }

  @Test
  void kubeFlannelsContainerHasItWithNetRawOnly() {
    // CAP_NET_ADMIN (12) and CAP_NET_RAW (13), as deploy/kube-flannel.yml grants.
    assertTrue(NetAdminCapability.effective(status("0000000000003000")));
  }

  @Test
  void anOrdinaryUserOrAStatusWithoutTheLineHasNot() {
    assertFalse(NetAdminCapability.effective(status("0000000000000000")));
    assertFalse(NetAdminCapability.effective(status("0000000000002000")));
    assertFalse(NetAdminCapability.effective("Name:\tjava\n"));
  }
}
