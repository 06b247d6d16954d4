package io.jflannel.backend;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.ServiceLoader;

/** Finds backends registered with {@link java.util.ServiceLoader}. */
public final class Backends {
  private Backends() {
  }

  /**
   * Creates the backend of the given type (matched case-insensitively, as flannel does for
   * {@code Backend.Type}).
   *
   * @throws BackendException when no registered factory has that type; the message lists the known types
   */
  public static Backend create(String type, BackendContext ctx) throws BackendException {
    return factory(type).create(ctx);
  }

  /** The factory for a type, matched case-insensitively. */
  public static BackendFactory factory(String type) throws BackendException {
    List<BackendFactory> all = factories();
    String wanted = type == null ? "" : type.strip().toLowerCase(Locale.ROOT);
    for (BackendFactory f : all) {
      if (f.type().toLowerCase(Locale.ROOT).equals(wanted)) {
        return f;
      }
    }
    throw new BackendException("unknown backend type \"" + type + "\"; known types: "
        + (all.isEmpty() ? "(none registered)" : String.join(", ", knownTypes())));
  }

  /** The registered type names, sorted. */
  public static List<String> knownTypes() {
    List<String> names = new ArrayList<>();
    for (BackendFactory f : factories()) {
      names.add(f.type());
    }
    names.sort(null);
    return names;
  }

  private static List<BackendFactory> factories() {
    List<BackendFactory> out = new ArrayList<>();
    ServiceLoader.load(BackendFactory.class, Backends.class.getClassLoader()).forEach(out::add);
    return out;
  }
}
