package io.jflannel.deploy;

import java.nio.file.Files;
import java.nio.file.Path;

/** Files of the repository the deploy tests check: the manifest, the Dockerfile, the image scripts. */
final class RepoFiles {
  private RepoFiles() {}

  /** The repository root: the {@code jflannel.root} property set by the build, else the parent of the module. */
  static Path root() {
    String configured = System.getProperty("jflannel.root");
    Path root = configured != null ? Path.of(configured) : Path.of("").toAbsolutePath().getParent();
    root = root.toAbsolutePath().normalize();
    if (!Files.isRegularFile(root.resolve("Dockerfile"))) {
      throw new IllegalStateException("no Dockerfile in " + root + ": set -Djflannel.root to the repository root");
    }
    return root;
  }

  static Path manifest() {
    return root().resolve("deploy/kube-flannel.yml");
  }

  static Path dockerfile() {
    return root().resolve("Dockerfile");
  }

  static Path image(String name) {
    return root().resolve("deploy/image").resolve(name);
  }

  /**
   * Where the daemon module packages its jar, lib/ and launcher (the image copies them from
   * here); {@code -Djflannel.daemon.target} points the image tests at another build of it.
   */
  static Path daemonTarget() {
    String configured = System.getProperty("jflannel.daemon.target");
    return configured != null ? Path.of(configured).toAbsolutePath() : root().resolve("daemon/target");
  }
}
