package io.jflannel.backend;

import io.jflannel.subnet.IpNet;
import io.jflannel.subnet.Lease;
import io.jflannel.subnet.LeaseAttrs;
import io.jflannel.subnet.PeerListener;
import io.jflannel.subnet.NetworkConfig;
import io.jflannel.subnet.SubnetException;
import io.jflannel.subnet.SubnetManager;
import java.util.Map;
import java.util.Optional;

/**
 * A subnet manager for backend tests: hands out one fixed subnet and records what the
 * backend published. Peers are fed to the network directly, so no watch is needed.
 */
public final class InMemorySubnetManager implements SubnetManager {
  private final NetworkConfig config;
  private final IpNet subnet;
  private final LeaseAttrs previous;
  private volatile LeaseAttrs published;
  private volatile Map<String, LeaseAttrs> peers = Map.of();

  /**
   * @param config   the network config
   * @param subnet   the subnet every acquireLease returns
   * @param previous what {@link #previousOwnAttrs()} reports, or null
   */
  public InMemorySubnetManager(NetworkConfig config, IpNet subnet, LeaseAttrs previous) {
    this.config = config;
    this.subnet = subnet;
    this.previous = previous;
  }

  /** A config with Network {@code network}, /24 subnets and the given backend. */
  public static NetworkConfig config(String network, NetworkConfig.BackendConfig backend) {
    IpNet n = IpNet.parse(network);
    return new NetworkConfig(true, false, false, n, 24, null, null, null, 0, null, null, backend);
  }

  /** The attributes the backend published with its lease, or null before acquireLease. */
  public LeaseAttrs published() {
    return published;
  }

  @Override
  public NetworkConfig networkConfig() {
    return config;
  }

  @Override
  public Lease acquireLease(LeaseAttrs attrs) throws SubnetException {
    published = attrs;
    return new Lease(subnet, null, attrs, null);
  }

  @Override
  public Lease renewLease(Lease lease) {
    return lease;
  }

  @Override
  public Watch watchPeers(PeerListener listener) {
    return () -> { };
  }

  /** What {@link #currentPeers()} reports: the peers' advertised attributes by holder. */
  public void advertisedPeers(Map<String, LeaseAttrs> peers) {
    this.peers = Map.copyOf(peers);
  }

  @Override
  public Map<String, LeaseAttrs> currentPeers() {
    return peers;
  }

  @Override
  public Optional<LeaseAttrs> previousOwnAttrs() {
    return Optional.ofNullable(previous);
  }

  @Override
  public void close() {
  }
}
