package io.jflannel.lab;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * podman as the lab runs it: with the project's containers.conf (runc, no default rlimits;
 * docs/image.md) unless the environment's {@code CONTAINERS_CONF} names another, found as
 * the system property {@code jflannel.containers.conf} or as
 * {@code deploy/image/containers.conf} under the working directory (scripts/lab.sh runs the
 * lab from the repository root).
 */
public final class Podman {
  private Podman() {}

  /** The environment podman gets. */
  public static Map<String, String> env() {
    String configured = System.getenv("CONTAINERS_CONF");
    if (configured != null && !configured.isEmpty()) {
      return Map.of();
    }
    String property = System.getProperty("jflannel.containers.conf");
    Path file = property != null ? Path.of(property) : Path.of("deploy/image/containers.conf");
    return Files.isRegularFile(file) ? Map.of("CONTAINERS_CONF", file.toAbsolutePath().toString()) : Map.of();
  }

  /** {@code podman ARGS}. */
  public static List<String> command(List<String> args) {
    List<String> cmd = new ArrayList<>(List.of("podman"));
    cmd.addAll(args);
    return cmd;
  }

  /** Runs {@code podman ARGS} to completion. */
  public static Exec.Result run(Duration timeout, String... args) {
    return Exec.run(command(List.of(args)), null, env(), timeout);
  }

  /** Whether the image exists in podman's local storage. */
  public static boolean imageExists(String ref) {
    return Exec.onPath("podman") && run(Duration.ofSeconds(60), "image", "exists", ref).ok();
  }
}
