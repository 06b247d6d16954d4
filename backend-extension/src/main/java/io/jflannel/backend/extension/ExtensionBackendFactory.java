package io.jflannel.backend.extension;

import io.jflannel.backend.Backend;
import io.jflannel.backend.BackendContext;
import io.jflannel.backend.BackendFactory;

/** Registers the {@code extension} backend with {@link io.jflannel.backend.Backends}. */
public final class ExtensionBackendFactory implements BackendFactory {
  @Override
  public String type() {
    return ExtensionBackend.TYPE;
  }

  @Override
  public Backend create(BackendContext ctx) {
    return new ExtensionBackend(ctx);
  }
}
