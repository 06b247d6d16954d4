package io.jflannel.daemon.run;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jflannel.backend.Network;
import io.jflannel.subnet.Lease;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.junit.jupiter.api.Test;

class CompactAfterFirstPassTest {

  /** Records the order of calls on the delegate and of collections. */
  private final List<String> calls = new ArrayList<>();

  private final Network fake = new Network() {
    @Override
    public Lease lease() {
      calls.add("lease");
      return null;
    }

    @Override
    public int mtu() {
      calls.add("mtu");
      return 1450;
    }

    @Override
    public void reconcile(Collection<Lease> peers) {
      calls.add("reconcile " + peers.size());
    }

    @Override
    public void reconcile(java.util.Map<String, Lease> peersByKey) {
      calls.add("reconcile keyed " + peersByKey.size());
    }

    @Override
    public void start() {
      calls.add("start");
    }

    @Override
    public void close() {
      calls.add("close");
    }
  };

  @Test
  void collectsOnceRightAfterTheFirstPass() {
    Network net = new CompactAfterFirstPass(fake, () -> calls.add("gc"));
    net.reconcile(List.of());
    net.reconcile(List.of());
    net.reconcile(List.of());
    assertEquals(List.of("reconcile 0", "gc", "reconcile 0", "reconcile 0"), calls);
  }

  @Test
  void keyedPassesReachTheDelegateKeyedAndCollectOnceAcrossBothForms() {
    Network net = new CompactAfterFirstPass(fake, () -> calls.add("gc"));
    net.reconcile(java.util.Map.of());
    net.reconcile(List.of());
    net.reconcile(java.util.Map.of());
    assertEquals(List.of("reconcile keyed 0", "gc", "reconcile 0", "reconcile keyed 0"), calls);
  }

  @Test
  void everythingElseIsDelegatedWithoutCollecting() {
    Network net = new CompactAfterFirstPass(fake, () -> calls.add("gc"));
    net.start();
    assertEquals(1450, net.mtu());
    net.lease();
    net.close();
    assertEquals(List.of("start", "mtu", "lease", "close"), calls);
  }

  @Test
  void concurrentFirstPassesCollectOnlyOnce() throws Exception {
    List<String> gcs = java.util.Collections.synchronizedList(new ArrayList<>());
    Network quiet = new CompactAfterFirstPass(new Network() {
      @Override
      public Lease lease() {
        return null;
      }

      @Override
      public int mtu() {
        return 0;
      }

      @Override
      public void reconcile(Collection<Lease> peers) {
      }

      @Override
      public void start() {
      }

      @Override
      public void close() {
      }
    }, () -> gcs.add("gc"));
    Thread[] ts = new Thread[4];
    for (int i = 0; i < ts.length; i++) {
      ts[i] = new Thread(() -> quiet.reconcile(List.of()));
      ts[i].start();
    }
    for (Thread t : ts) {
      t.join();
    }
    assertEquals(1, gcs.size());
  }
}
