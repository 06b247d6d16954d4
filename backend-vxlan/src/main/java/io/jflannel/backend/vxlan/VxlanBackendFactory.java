package io.jflannel.backend.vxlan;

import io.jflannel.backend.Backend;
import io.jflannel.backend.BackendContext;
import io.jflannel.backend.BackendFactory;

/** Registers the {@code vxlan} backend with {@link io.jflannel.backend.Backends}. */
public final class VxlanBackendFactory implements BackendFactory {
  @Override
  public String type() {
    return VxlanDataplane.TYPE;
  }

  @Override
  public Backend create(BackendContext ctx) {
    return new VxlanBackend(ctx);
  }
}
