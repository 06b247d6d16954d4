/**
 * The {@code extension} backend (docs/compatibility.md#extension-backend): the operator's
 * commands, run without a shell as upstream runs them, build the dataplane.
 */
package io.jflannel.backend.extension;
