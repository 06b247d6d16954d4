/**
 * How the daemon's JVM is tuned for a small footprint and a quick start, kept apart from what
 * the daemon does (docs/decisions/0910):
 *
 * <ul>
 *   <li>{@link io.jflannel.daemon.runtime.HeapCompaction}: a full collection and a C-heap trim
 *       after the first peer pass and when the heap grew while the peers were quiet, driven by
 *       the peer sync's two hooks, {@code passStarted()} and {@code passFinished(peers)};
 *   <li>{@link io.jflannel.daemon.runtime.NativeHeap}: {@code malloc_trim} through its own
 *       jnr-ffi binding;
 *   <li>{@link io.jflannel.daemon.runtime.CdsTraining}: the build-only entry point whose run
 *       writes a store's AppCDS archive;
 *   <li>{@link io.jflannel.daemon.runtime.ClassPathStore}: the check that the launcher put the
 *       libraries of the store the flags select on the class path.
 * </ul>
 *
 * <p>The JVM flags themselves are the launcher's ({@code daemon/src/main/launcher/flanneld}).
 * Only the wiring ({@code Flanneld}, {@code io.jflannel.daemon.run}) calls into this package;
 * {@code TuningStaysInItsPackageTest} keeps it that way.
 */
package io.jflannel.daemon.runtime;
