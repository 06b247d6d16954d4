/**
 * The {@code udp} backend (docs/compatibility.md#udp-backend): a TUN device {@code flannel0}
 * and a user-space forwarder that sends every packet to the owner of its destination subnet as
 * one UDP datagram, over the shared reconciler.
 */
package io.jflannel.backend.udp;
