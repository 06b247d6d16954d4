package io.jflannel.backend;

/** Why a peer lease is not programmed (see docs/decisions/0403). */
public enum RejectReason {
  /** The lease has no subnet of the family this network carries. */
  NO_SUBNET,
  /** The peer's subnet is not inside Network. */
  SUBNET_OUTSIDE_NETWORK,
  /** The peer's subnet overlaps this node's own subnet. */
  SUBNET_OVERLAPS_OWN,
  /** The peer's subnet overlaps the subnet of another, already accepted peer. */
  SUBNET_OVERLAPS_PEER,
  /** No public IP, or one of the wrong family. */
  PUBLIC_IP_MISSING,
  /** Public IP unspecified, loopback, multicast or broadcast. */
  PUBLIC_IP_INVALID,
  /** The peer runs another backend type. */
  BACKEND_TYPE_MISMATCH,
  /** Backend data missing or malformed (vxlan: VtepMAC missing, not unicast or zero). */
  BACKEND_DATA_INVALID,
  /** The peer's public IP is not on a directly connected network (host-gw). */
  PEER_NOT_ON_LINK;

  /** Lower-case label for metrics, e.g. {@code subnet_overlaps_peer}. */
  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
