/**
 * The {@code alloc} backend (docs/compatibility.md#alloc-backend): the node's subnet is leased,
 * published and written to subnet.env; nothing is programmed for peers.
 */
package io.jflannel.backend.alloc;
