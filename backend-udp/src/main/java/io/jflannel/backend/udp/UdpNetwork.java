package io.jflannel.backend.udp;

import io.jflannel.backend.Network;
import io.jflannel.backend.ReconcilingNetwork;
import io.jflannel.subnet.Lease;
import io.jflannel.subnet.PeerChanges;

/**
 * The shared {@link ReconcilingNetwork} plus the packet loop it feeds. Unlike the kernel
 * backends' dataplanes, this one lives in the process: {@link #close} stops the loop and
 * closes the TUN device, which the kernel then deletes with its route, as upstream's does.
 */
public final class UdpNetwork implements Network {
  private final ReconcilingNetwork reconciler;
  private final UdpDataplane dataplane;

  UdpNetwork(ReconcilingNetwork reconciler, UdpDataplane dataplane) {
    this.reconciler = reconciler;
    this.dataplane = dataplane;
  }

  /** The reconciler (accepted, rejected and failing peers, for tests and diagnostics). */
  public ReconcilingNetwork reconciler() {
    return reconciler;
  }

  UdpDataplane dataplane() {
    return dataplane;
  }

  @Override
  public Lease lease() {
    return reconciler.lease();
  }

  @Override
  public int mtu() {
    return reconciler.mtu();
  }

  @Override
  public void reconcile(PeerChanges changes) {
    reconciler.reconcile(changes);
  }

  @Override
  public void start() {
    reconciler.start();
  }

  @Override
  public void close() {
    reconciler.close();
    dataplane.forwarder().close();
  }
}
