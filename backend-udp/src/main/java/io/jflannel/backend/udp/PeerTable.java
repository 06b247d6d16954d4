package io.jflannel.backend.udp;

import io.jflannel.subnet.IpNet;
import io.jflannel.subnet.Lease;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * Where each peer subnet's packets go: an immutable table of disjoint IPv4 ranges sorted by
 * their first address, each with the owner's {@code PUBLIC_IP:Port}. A lookup is a binary
 * search for the last range starting at or below the destination, then one comparison with
 * its end: O(log n), no allocation. Built anew when the accepted peers change and published
 * through a volatile field (copy-on-write), so the packet threads never lock.
 *
 * <p>Disjoint ranges make the one containing range the longest match: the peer validator never
 * accepts two peers whose subnets overlap (docs/decisions/1052).
 */
final class PeerTable {
  static final PeerTable EMPTY = new PeerTable(new int[0], new int[0], new InetSocketAddress[0], new String[0]);

  /** First addresses with the sign bit flipped, so signed comparison orders them as unsigned. */
  private final int[] starts;
  /** Last addresses, sign bit flipped likewise. */
  private final int[] ends;
  private final InetSocketAddress[] targets;
  private final String[] subnets;

  private PeerTable(int[] starts, int[] ends, InetSocketAddress[] targets, String[] subnets) {
    this.starts = starts;
    this.ends = ends;
    this.targets = targets;
    this.subnets = subnets;
  }

  /**
   * The table for these peers, each reached at its IPv4 public address and {@code port}.
   *
   * @throws IllegalArgumentException when two subnets overlap (the validator prevents it)
   */
  static PeerTable of(Collection<Lease> peers, int port) {
    record Entry(int start, int end, InetSocketAddress target, IpNet subnet) {
    }
    List<Entry> entries = new ArrayList<>(peers.size());
    for (Lease l : peers) {
      IpNet s = l.subnet();
      if (s == null || !s.isIpv4() || !(l.attrs().publicIp() instanceof Inet4Address ip)) {
        continue; // not an IPv4 peer: the validator refuses it before it gets here
      }
      int first = toInt(s.network().address().getAddress());
      int size = s.prefixLength() == 0 ? -1 : (int) ((1L << (32 - s.prefixLength())) - 1);
      int last = first + size;
      entries.add(new Entry(first ^ Integer.MIN_VALUE, last ^ Integer.MIN_VALUE, new InetSocketAddress(ip, port), s));
    }
    entries.sort(Comparator.comparingInt(Entry::start));
    int n = entries.size();
    int[] starts = new int[n];
    int[] ends = new int[n];
    InetSocketAddress[] targets = new InetSocketAddress[n];
    String[] subnets = new String[n];
    for (int i = 0; i < n; i++) {
      Entry e = entries.get(i);
      if (i > 0 && e.start() <= ends[i - 1]) {
        throw new IllegalArgumentException("peer subnets " + subnets[i - 1] + " and " + e.subnet() + " overlap");
      }
      starts[i] = e.start();
      ends[i] = e.end();
      targets[i] = e.target();
      subnets[i] = e.subnet().toString();
    }
    return new PeerTable(starts, ends, targets, subnets);
  }

  static int toInt(byte[] a) {
    return (a[0] & 0xff) << 24 | (a[1] & 0xff) << 16 | (a[2] & 0xff) << 8 | (a[3] & 0xff);
  }

  /** The owner of the subnet holding {@code dst} (an IPv4 address as a big-endian int), or null. */
  InetSocketAddress lookup(int dst) {
    int key = dst ^ Integer.MIN_VALUE;
    int lo = 0;
    int hi = starts.length - 1;
    int found = -1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      if (starts[mid] <= key) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found >= 0 && key <= ends[found] ? targets[found] : null;
  }

  int size() {
    return starts.length;
  }

  @Override
  public String toString() {
    StringBuilder b = new StringBuilder("PeerTable[");
    for (int i = 0; i < subnets.length; i++) {
      b.append(i == 0 ? "" : ", ").append(subnets[i]).append(" -> ").append(targets[i].getAddress().getHostAddress())
          .append(':').append(targets[i].getPort());
    }
    return b.append(']').toString();
  }
}
