/**
 * The {@code host-gw} backend (docs/compatibility.md#host-gw-backend): per peer a route via its
 * address on the external interface.
 */
package io.jflannel.backend.hostgw;
