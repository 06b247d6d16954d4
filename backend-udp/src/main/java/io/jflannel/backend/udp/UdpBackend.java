package io.jflannel.backend.udp;

import io.jflannel.backend.Backend;
import io.jflannel.backend.BackendContext;
import io.jflannel.backend.BackendException;
import io.jflannel.backend.Network;
import io.jflannel.backend.PeerValidator;
import io.jflannel.backend.ReconcilingNetwork;
import io.jflannel.backend.Underlay;
import io.jflannel.netlink.NetNs;
import io.jflannel.netlink.NetlinkException;
import io.jflannel.netlink.socket.NetnsThread;
import io.jflannel.subnet.Lease;
import io.jflannel.subnet.LeaseAttrs;
import io.jflannel.subnet.NetworkConfig;
import io.jflannel.subnet.SubnetException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.channels.DatagramChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The udp backend (docs/compatibility.md#udp-backend). The lease is upstream's: the advertised
 * address and no backend type or data (decision 1050). The device, socket and packet loop are
 * made in the namespace of the context's netlink handle.
 */
public final class UdpBackend implements Backend {
  private static final Logger LOG = LoggerFactory.getLogger(UdpBackend.class);
  /** Bytes asked for as the UDP socket's send and receive buffers. */
  static final int SOCKET_BUFFER = 4 << 20;
  private final BackendContext ctx;

  public UdpBackend(BackendContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public Network registerNetwork(NetworkConfig cfg) throws SubnetException, BackendException {
    UdpOptions opts = UdpOptions.parse(cfg.backend() == null ? null : cfg.backend().options());
    if (!cfg.enableIpv4() || cfg.network() == null) {
      throw new BackendException("udp backend: only IPv4 networks are supported (Network is not set)");
    }
    if (cfg.enableIpv6()) {
      throw new BackendException("udp backend: IPv6 (EnableIPv6) is not supported, as upstream's udp backend");
    }
    var ext = ctx.extIface();
    if (ext.extAddr() == null || ext.ifaceAddr() == null) {
      throw new BackendException("udp backend: external interface " + ext.name() + " has no IPv4 address");
    }
    int mtu = UdpOptions.deviceMtu(ext.mtu());
    Lease lease = ctx.subnets().acquireLease(
        new LeaseAttrs(ext.extAddr(), null, UdpDataplane.PUBLISHED_TYPE, null, null));
    // Upstream listens on the interface's own address: behind NAT the advertised one is not ours.
    InetSocketAddress bind = new InetSocketAddress(ext.ifaceAddr(), opts.port());
    TunDevice tun;
    DatagramChannel channel;
    try {
      tun = inNamespace(() -> TunDevice.open(UdpDataplane.DEVICE));
    } catch (NetlinkException e) {
      throw new BackendException("udp backend: cannot create the TUN device " + UdpDataplane.DEVICE + ": "
          + e.getMessage(), e);
    }
    try {
      channel = inNamespace(() -> openSocket(bind));
    } catch (NetlinkException e) {
      tun.close();
      throw new BackendException("udp backend: cannot listen on UDP " + bind.getAddress().getHostAddress() + ":"
          + opts.port() + ": " + e.getMessage(), e);
    }
    InetAddress devAddr = lease.subnet().network().address();
    PacketForwarder forwarder = new PacketForwarder(tun, channel, PeerTable.toInt(devAddr.getAddress()));
    UdpDataplane dp = new UdpDataplane(ctx.netlink(), tun, forwarder, new Underlay(ctx.netlink(), ext),
        cfg.network(), lease.subnet(), mtu, opts.port());
    try {
      dp.prepare();
    } catch (NetlinkException e) {
      forwarder.close();
      throw new BackendException("udp backend: cannot set up " + UdpDataplane.DEVICE + ": " + e.getMessage(), e);
    }
    for (PacketForwarder.Drop d : PacketForwarder.Drop.values()) {
      ctx.listener().packetDrops(d.label(), forwarder.drops(d));
    }
    forwarder.start();
    LOG.info("udp: device {} ({}/32, MTU {}, route {}), listening on {}:{}, advertising {}, lease {}",
        UdpDataplane.DEVICE, devAddr.getHostAddress(), mtu, cfg.network(), ext.ifaceAddr().getHostAddress(),
        opts.port(), ext.extAddr().getHostAddress(), lease.subnet());
    PeerValidator validator = new PeerValidator(cfg.network(), lease.subnet(), UdpDataplane.PUBLISHED_TYPE,
        dp.peerCheck());
    return new UdpNetwork(new ReconcilingNetwork(ctx, lease, mtu, validator, dp), dp);
  }

  private static DatagramChannel openSocket(InetSocketAddress bind) throws NetlinkException {
    DatagramChannel ch = null;
    try {
      ch = DatagramChannel.open(StandardProtocolFamily.INET);
      // Room for a burst while the receiving thread catches up (the kernel caps it at rmem_max).
      ch.setOption(java.net.StandardSocketOptions.SO_RCVBUF, SOCKET_BUFFER);
      ch.setOption(java.net.StandardSocketOptions.SO_SNDBUF, SOCKET_BUFFER);
      ch.bind(bind);
      return ch;
    } catch (IOException e) {
      if (ch != null) {
        try {
          ch.close();
        } catch (IOException suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      throw new NetlinkException(e.getMessage() == null ? e.toString() : e.getMessage(), 0, null, e);
    }
  }

  /** Runs {@code action} in the namespace of the context's handle (the current one when it has none). */
  private <T> T inNamespace(NetnsThread.Action<T> action) throws NetlinkException {
    NetNs ns = ctx.netlink().namespace();
    return ns == null ? action.run() : NetnsThread.call(ns, action);
  }
}
