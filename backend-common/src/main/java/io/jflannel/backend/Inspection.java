package io.jflannel.backend;

import io.jflannel.netlink.NetlinkException;
import io.jflannel.subnet.Lease;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A backend's read-only view of this node for {@code flanneld check}: the same
 * {@link Dataplane} and {@link PeerValidator} the running network would use, with their facts
 * read from the kernel but nothing changed, the pod MTU, and the state of the backend's device.
 *
 * @param dataplane the backend's mapping and ownership rules; {@link Dataplane#prepare} is
 *                  <em>not</em> called on it (that repairs the device); its facts are loaded
 * @param validator the peer rules the network would apply
 * @param mtu       the pod MTU the network would write to subnet.env
 * @param device    the device's properties, in the order an operator would look at them
 */
public record Inspection(Dataplane dataplane, PeerValidator validator, int mtu, List<DeviceFact> device) {
  public Inspection {
    Objects.requireNonNull(dataplane, "dataplane");
    Objects.requireNonNull(validator, "validator");
    device = List.copyOf(device);
  }

  /**
   * Plans a full pass for {@code peers} without running it, as the network's pass does:
   * the peers judged by a fresh {@link PeerBook}, the accepted ones mapped in key order,
   * diffed with a dump of the owned kernel objects by {@link ReconcilePlanner}.
   */
  public DryPass plan(Map<String, Lease> peers) throws NetlinkException {
    return DryPass.plan(validator, dataplane, peers);
  }
}
