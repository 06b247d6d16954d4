/** The {@code host-gw} backend (SPEC §7): per peer a route via its address on the external interface. */
package io.jflannel.backend.hostgw;
