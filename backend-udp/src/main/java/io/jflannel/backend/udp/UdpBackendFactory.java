package io.jflannel.backend.udp;

import io.jflannel.backend.Backend;
import io.jflannel.backend.BackendContext;
import io.jflannel.backend.BackendFactory;

/** Registers the {@code udp} backend with {@link io.jflannel.backend.Backends}. */
public final class UdpBackendFactory implements BackendFactory {
  @Override
  public String type() {
    return UdpDataplane.TYPE;
  }

  @Override
  public Backend create(BackendContext ctx) {
    return new UdpBackend(ctx);
  }
}
