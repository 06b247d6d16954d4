package io.jflannel.backend;

/**
 * Creates one kind of backend. Implementations are registered in
 * {@code META-INF/services/io.jflannel.backend.BackendFactory} of their module and found by
 * {@link Backends} through {@link java.util.ServiceLoader}, so a new backend is a new module.
 */
public interface BackendFactory {

  /** The backend type as written in net-conf.json, lower case ({@code vxlan}, {@code host-gw}). */
  String type();

  /** A backend bound to this node's kernel handle, external interface and subnet manager. */
  Backend create(BackendContext ctx);
}
