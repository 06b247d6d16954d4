package io.jflannel.backend.udp;

import io.jflannel.netlink.Errno;
import io.jflannel.subnet.Threads;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The udp backend's packet loop: two threads, one moving packets from the TUN device to UDP
 * (each to the owner of its destination subnet, one datagram per packet), one from UDP to the
 * TUN device. Each owns one direct buffer for its life; the peer table is an immutable value
 * read through a volatile field; counters are atomics: nothing is allocated per packet
 * (docs/decisions/1051). Sends block when the socket buffer is full, so a burst is slowed
 * down, not dropped.
 *
 * <p>As upstream's proxy: the TTL is decremented in both directions (a packet whose TTL runs
 * out is dropped), and a packet for a subnet no peer owns is dropped and answered with an ICMP
 * network unreachable from the device's address.
 */
final class PacketForwarder implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PacketForwarder.class);
  /** How long the TUN thread waits for a packet before it looks at {@link #closed} again. */
  static final int POLL_MILLIS = 200;
  /** Larger than any IPv4 packet: a datagram is never cut short. */
  static final int BUFFER = 65536;

  /** Why a packet was dropped, as the metric's {@code reason} label names it. */
  enum Drop {
    /** No peer owns the destination's subnet. */
    NO_ROUTE,
    /** The TTL ran out. */
    TTL,
    /** Not an IPv4 packet: too short, or a bad header length (or, from UDP, another version). */
    MALFORMED,
    /**
     * An IPv6 packet read from the TUN device: the kernel sends some on its own (router
     * solicitations); the udp backend carries IPv4 only, as upstream's.
     */
    NOT_IPV4,
    /** The UDP send failed. */
    SEND_ERROR,
    /** The write to the TUN device failed. */
    WRITE_ERROR;

    String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  private final TunDevice tun;
  private final DatagramChannel channel;
  private final int deviceAddress;
  private final Map<Drop, AtomicLong> drops = new EnumMap<>(Drop.class);
  private final AtomicLong sent = new AtomicLong();
  private final AtomicLong received = new AtomicLong();
  private volatile PeerTable table = PeerTable.EMPTY;
  private volatile boolean closed;
  private final Thread outbound;
  private final Thread inbound;

  /**
   * @param tun           the open TUN device
   * @param channel       a blocking UDP socket bound to the backend's port
   * @param deviceAddress the device's address (source of ICMP errors), big-endian
   */
  PacketForwarder(TunDevice tun, DatagramChannel channel, int deviceAddress) {
    this.tun = tun;
    this.channel = channel;
    this.deviceAddress = deviceAddress;
    for (Drop d : Drop.values()) {
      drops.put(d, new AtomicLong());
    }
    outbound = Threads.daemon(this::tunToUdp, "udp-out-" + tun.name());
    inbound = Threads.daemon(this::udpToTun, "udp-in-" + tun.name());
  }

  void start() {
    outbound.start();
    inbound.start();
  }

  /** Replaces the peer table; the packet threads see it at their next packet. */
  void table(PeerTable t) {
    table = t;
  }

  PeerTable table() {
    return table;
  }

  /** The running count of drops for {@code d}. */
  LongSupplier drops(Drop d) {
    return drops.get(d)::get;
  }

  long sent() {
    return sent.get();
  }

  long received() {
    return received.get();
  }

  /** The outbound thread (its allocation is measured by a test). */
  Thread outboundThread() {
    return outbound;
  }

  Thread inboundThread() {
    return inbound;
  }

  private void tunToUdp() {
    ByteBuffer buf = ByteBuffer.allocateDirect(BUFFER); // big-endian, as IP headers are
    ByteBuffer icmp = ByteBuffer.allocateDirect(Ipv4Packets.MIN_HEADER * 2 + 8 + 60 + 8);
    long addr = TunDevice.address(buf);
    long icmpAddr = TunDevice.address(icmp);
    boolean goneLogged = false;
    while (!closed) {
      long n = tun.read(addr, BUFFER);
      if (n < 0) {
        if (n == -Errno.EAGAIN || n == -Errno.EINTR) {
          tun.poll(POLL_MILLIS);
        } else if (TunDevice.deviceGone(n)) {
          if (!goneLogged) {
            LOG.warn("{} is gone ({}); waiting for the repair to create it again", tun.name(), Errno.name((int) -n));
            goneLogged = true;
          }
          pause();
        } else if (!closed) {
          LOG.warn("reading from {} failed: {}", tun.name(), Errno.name((int) -n));
          pause();
        }
        continue;
      }
      goneLogged = false;
      int len = (int) n;
      if (!Ipv4Packets.isIpv4(buf, len)) {
        drops.get(len > 0 && (buf.get(0) & 0xf0) == 0x60 ? Drop.NOT_IPV4 : Drop.MALFORMED).incrementAndGet();
        continue;
      }
      InetSocketAddress to = table.lookup(Ipv4Packets.destination(buf));
      if (to == null) {
        drops.get(Drop.NO_ROUTE).incrementAndGet();
        int icmpLen = Ipv4Packets.netUnreachable(buf, len, deviceAddress, icmp);
        if (icmpLen > 0) {
          tun.write(icmpAddr, icmpLen);
        }
        continue;
      }
      if (!Ipv4Packets.decrementTtl(buf)) {
        drops.get(Drop.TTL).incrementAndGet();
        continue;
      }
      buf.limit(len).position(0);
      try {
        channel.send(buf, to);
        sent.incrementAndGet();
      } catch (ClosedChannelException e) {
        return;
      } catch (IOException e) {
        drops.get(Drop.SEND_ERROR).incrementAndGet();
        LOG.debug("sending a packet to {} failed: {}", to, e.toString());
      } finally {
        buf.clear();
      }
    }
  }

  private void udpToTun() {
    ByteBuffer buf = ByteBuffer.allocateDirect(BUFFER);
    long addr = TunDevice.address(buf);
    while (!closed) {
      buf.clear();
      try {
        if (channel.receive(buf) == null) {
          continue;
        }
      } catch (ClosedChannelException e) {
        return;
      } catch (IOException e) {
        if (!closed) {
          LOG.warn("receiving on the udp backend's socket failed: {}", e.toString());
          pause();
        }
        continue;
      }
      int len = buf.position();
      if (!Ipv4Packets.isIpv4(buf, len)) {
        drops.get(Drop.MALFORMED).incrementAndGet();
        continue;
      }
      if (!Ipv4Packets.decrementTtl(buf)) {
        drops.get(Drop.TTL).incrementAndGet();
        continue;
      }
      long w;
      do {
        w = tun.write(addr, len); // upstream retries a full queue the same way
      } while (w == -Errno.EAGAIN && !closed);
      if (w < 0) {
        drops.get(Drop.WRITE_ERROR).incrementAndGet();
      } else {
        received.incrementAndGet();
      }
    }
  }

  private static void pause() {
    try {
      Thread.sleep(100);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Stops both threads, then closes the socket and the TUN device (the kernel deletes it). */
  @Override
  public void close() {
    closed = true;
    try {
      channel.close(); // wakes the inbound thread
    } catch (IOException e) {
      LOG.debug("closing the udp socket: {}", e.toString());
    }
    join(outbound);
    join(inbound);
    tun.close();
  }

  private static void join(Thread t) {
    if (!t.isAlive()) {
      return;
    }
    try {
      t.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
