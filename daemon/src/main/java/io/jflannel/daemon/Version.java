package io.jflannel.daemon;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/** The jflannel version, as stamped into the jar by the build. */
public final class Version {
  private static final String VERSION = load();

  private Version() {}

  /** The version string, e.g. {@code 0.1.0}; {@code unknown} when run from unbuilt classes. */
  public static String current() {
    return VERSION;
  }

  private static String load() {
    try (InputStream in = Version.class.getResourceAsStream("version.properties")) {
      if (in == null) {
        return "unknown";
      }
      Properties p = new Properties();
      p.load(in);
      String v = p.getProperty("version", "unknown");
      return v.startsWith("${") ? "unknown" : v;
    } catch (IOException e) {
      throw new UncheckedIOException("reading version.properties", e);
    }
  }
}
