package io.jflannel.daemon.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class ClassPathStoreTest {
  @Test
  void theLaunchersChoiceFitsTheFlags() {
    assertNull(ClassPathStore.mismatch("etcd", false));
    assertNull(ClassPathStore.mismatch("kube", true));
  }

  @Test
  void withoutTheLauncherEveryLibraryIsThere() {
    assertNull(ClassPathStore.mismatch(null, true));
    assertNull(ClassPathStore.mismatch(null, false));
  }

  @Test
  void aDisagreementIsOneLineNamingBothStores() {
    assertEquals("flanneld: the launcher put the etcd store's libraries on the class path"
        + " (jflannel.classpath.store=etcd), but the flags select the kube store; the launcher decides from"
        + " --kube-subnet-mgr[=BOOL] and FLANNELD_KUBE_SUBNET_MGR before the JVM starts",
        ClassPathStore.mismatch("etcd", true));
    assertEquals("flanneld: the launcher put the kube store's libraries on the class path"
        + " (jflannel.classpath.store=kube), but the flags select the etcd store; the launcher decides from"
        + " --kube-subnet-mgr[=BOOL] and FLANNELD_KUBE_SUBNET_MGR before the JVM starts",
        ClassPathStore.mismatch("kube", false));
  }
}
