/**
 * The backend SPI and the machinery every backend shares.
 *
 * <ul>
 *   <li>SPI: {@link io.jflannel.backend.BackendFactory} (found by {@link io.jflannel.backend.Backends}
 *       through {@link java.util.ServiceLoader}), {@link io.jflannel.backend.Backend},
 *       {@link io.jflannel.backend.Network}, {@link io.jflannel.backend.BackendContext},
 *       {@link io.jflannel.backend.ExternalInterface}, {@link io.jflannel.backend.BackendListener}.</li>
 *   <li>Peer rules: {@link io.jflannel.backend.PeerValidator} (docs/decisions/0403, 0961).</li>
 *   <li>The external interface as the kernel has it now: {@link io.jflannel.backend.Underlay}
 *       (its index by name, its addresses, which notifications need a pass; 0960).</li>
 *   <li>Reconciliation: a backend implements {@link io.jflannel.backend.Dataplane} (lease →
 *       {@link io.jflannel.backend.PeerObjects}, ownership, device upkeep);
 *       {@link io.jflannel.backend.ReconcilingNetwork} diffs with
 *       {@link io.jflannel.backend.ReconcilePlanner} and applies with
 *       {@link io.jflannel.backend.PlanRunner} (docs/decisions/0401, 0402).</li>
 * </ul>
 */
package io.jflannel.backend;
