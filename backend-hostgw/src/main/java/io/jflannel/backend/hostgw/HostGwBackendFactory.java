package io.jflannel.backend.hostgw;

import io.jflannel.backend.Backend;
import io.jflannel.backend.BackendContext;
import io.jflannel.backend.BackendFactory;

/** Registers the {@code host-gw} backend with {@link io.jflannel.backend.Backends}. */
public final class HostGwBackendFactory implements BackendFactory {
  @Override
  public String type() {
    return HostGwDataplane.TYPE;
  }

  @Override
  public Backend create(BackendContext ctx) {
    return new HostGwBackend(ctx);
  }
}
