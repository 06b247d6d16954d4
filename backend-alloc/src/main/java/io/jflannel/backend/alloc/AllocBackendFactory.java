package io.jflannel.backend.alloc;

import io.jflannel.backend.Backend;
import io.jflannel.backend.BackendContext;
import io.jflannel.backend.BackendFactory;

/** Registers the {@code alloc} backend with {@link io.jflannel.backend.Backends}. */
public final class AllocBackendFactory implements BackendFactory {
  @Override
  public String type() {
    return AllocDataplane.TYPE;
  }

  @Override
  public Backend create(BackendContext ctx) {
    return new AllocBackend(ctx);
  }
}
