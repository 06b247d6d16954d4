package io.jflannel.netlink;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Objects;

/**
 * An interface address ({@code ip addr}).
 *
 * <p>An address is identified by its link, address and prefix length: {@link #equals} ignores
 * {@code scope} and {@code flags}, which the kernel reports but a request need not name.
 *
 * @param linkIndex    interface index
 * @param address      the address (IFA_LOCAL)
 * @param prefixLength prefix length
 * @param scope        RT_SCOPE_* ({@code 0} universe/global, {@code 253} link, {@code 254} host)
 * @param flags        IFA_F_* flags as dumped ({@link #IFA_F_PERMANENT} for static addresses)
 */
public record Addr(int linkIndex, InetAddress address, int prefixLength, int scope, int flags) {
  /** Set on addresses without a finite lifetime (not from DHCP or SLAAC). */
  public static final int IFA_F_PERMANENT = 0x80;

  public Addr {
    if (address == null) {
      throw new IllegalArgumentException("address is null");
    }
    int max = address instanceof Inet4Address ? 32 : 128;
    if (prefixLength < 0 || prefixLength > max) {
      throw new IllegalArgumentException("prefix length " + prefixLength + " out of range 0.." + max
          + " for " + address.getHostAddress());
    }
  }

  /** A global, permanent address: what {@code ip addr add ADDR/LEN dev IDX} creates. */
  public Addr(int linkIndex, InetAddress address, int prefixLength) {
    this(linkIndex, address, prefixLength, 0, IFA_F_PERMANENT);
  }

  /** AF_INET (2) or AF_INET6 (10). */
  public int family() {
    return Families.of(address);
  }

  /** Scope universe (not link-local or host). */
  public boolean isGlobal() {
    return scope == 0;
  }

  /** No finite lifetime: configured, not leased by DHCP or SLAAC. */
  public boolean isPermanent() {
    return (flags & IFA_F_PERMANENT) != 0;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Addr a && a.linkIndex == linkIndex && a.prefixLength == prefixLength
        && a.address.equals(address);
  }

  @Override
  public int hashCode() {
    return Objects.hash(linkIndex, address, prefixLength);
  }

  @Override
  public String toString() {
    return address.getHostAddress() + "/" + prefixLength + " dev #" + linkIndex;
  }
}
