package io.jflannel.daemon.rules;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Reads golden files from src/test/resources/rules. */
final class Golden {
  private Golden() {}

  static String text(String name) {
    try (InputStream in = Golden.class.getResourceAsStream("/rules/" + name)) {
      if (in == null) {
        throw new IllegalArgumentException("no golden file rules/" + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static List<String> lines(String name) {
    return text(name).lines().toList();
  }
}
