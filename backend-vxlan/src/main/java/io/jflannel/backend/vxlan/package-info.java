/**
 * The {@code vxlan} backend (docs/compatibility.md#vxlan-backend): the {@code flannel.<VNI>} device, and per peer a
 * permanent neighbour, a {@code self permanent} FDB entry and an {@code onlink} route
 * (or, with DirectRouting, a route via the peer's underlay address).
 */
package io.jflannel.backend.vxlan;
