package io.jflannel.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jflannel.lab.EtcdStore;
import io.jflannel.lab.FlanneldProcess;
import io.jflannel.lab.LabNode;
import io.jflannel.lab.LabStoreKind;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/** Daemon lifecycle against a real etcd. */
class DaemonLifecycleEtcdIT extends DaemonLifecycleSuite {
  @Override
  LabStoreKind store() {
    return LabStoreKind.ETCD;
  }

  @Test
  @Order(10)
  void deletedOwnLeaseEndsTheDaemonWithStatusZero() throws Exception {
    LabNode n2 = lab.node(2);
    EtcdStore etcd = (EtcdStore) lab.store();
    etcd.etcdctl("del", EtcdStore.leaseKey(lab.subnet(n2))).check();
    FlanneldProcess daemon = lab.daemon(n2);
    long deadline = System.nanoTime() + 20_000_000_000L;
    while (daemon.running() && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    assertTrue(!daemon.running(), "flanneld kept running after its lease was deleted");
    assertEquals(0, daemon.stop(), "exit status after the own lease was deleted");
    assertTrue(daemon.logTail(20).contains("was deleted from the store"), daemon.logTail(20));
  }
}
