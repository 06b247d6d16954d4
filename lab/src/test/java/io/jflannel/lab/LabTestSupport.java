package io.jflannel.lab;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/** Shared by the lab's own tests and the end-to-end suite. */
public final class LabTestSupport {
  private LabTestSupport() {}

  /** Whether a missing prerequisite must fail the test instead of skipping it. */
  public static boolean strict() {
    return "true".equalsIgnoreCase(System.getenv("CI"));
  }

  /**
   * Checks root, the commands and the CNI plugins (and the flanneld launcher when
   * {@code needDaemon}); under {@code CI=true} a gap fails the test, otherwise it is skipped.
   */
  public static void requirePrerequisites(LabStoreKind store, boolean needDaemon) {
    List<String> missing = new ArrayList<>(LabPrerequisites.missing(Path.of("/usr/lib/cni"), store));
    if (needDaemon && !Files.isExecutable(flanneld())) {
      missing.add("flanneld launcher " + flanneld() + " (build the daemon module first)");
    }
    if (missing.isEmpty()) {
      return;
    }
    String msg = "missing prerequisites: " + String.join(", ", missing);
    if (strict()) {
      fail(msg + " (CI=true: a missing prerequisite is a failure)");
    }
    assumeTrue(false, msg);
  }

  /**
   * The container image this checkout built (scripts/image.sh, run by {@code mvn -Pimage}):
   * its ID from {@code target/image/image-id}, once podman has it and its inputs label matches
   * the checkout's (deploy/image/inputs-digest.sh). Otherwise the test is skipped, or fails
   * under {@code CI=true}.
   */
  public static String requireImage() {
    Path root = Path.of(System.getProperty("jflannel.root", "..")).toAbsolutePath().normalize();
    String problem = null;
    String id = null;
    Path idFile = root.resolve("target/image/image-id");
    if (!Exec.onPath("podman")) {
      problem = "command 'podman' (scripts/install-deps.sh)";
    } else if (!Files.isRegularFile(idFile)) {
      problem = "the image of this checkout (" + idFile + "); build it with scripts/image.sh or mvn -Pimage";
    } else {
      try {
        id = Files.readString(idFile).strip();
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      Exec.Result label = Podman.run(java.time.Duration.ofSeconds(60), "image", "inspect", "--format",
          "{{index .Labels \"io.jflannel.inputs\"}}", id);
      Exec.Result digest = Exec.run(List.of(root.resolve("deploy/image/inputs-digest.sh").toString(),
          root.toString()), null, java.util.Map.of(), java.time.Duration.ofSeconds(120));
      if (!label.ok()) {
        problem = "image " + id + " in podman's storage; build it with scripts/image.sh";
      } else if (!digest.ok() || !label.stdout().strip().equals(digest.stdout().strip())) {
        problem = "image " + id + " built from this checkout's daemon and image files (it was built from"
            + " others); rebuild it with scripts/image.sh --no-build";
      }
    }
    if (problem == null) {
      return id;
    }
    String msg = "missing prerequisite: " + problem;
    if (strict()) {
      fail(msg + " (CI=true: a missing prerequisite is a failure)");
    }
    assumeTrue(false, msg);
    return null;
  }

  /** A fresh, unique lab name for tests: {@code jfl-e2e-<tag>-<4 hex>}. */
  public static String uniqueName(String tag) {
    return "jfl-e2e-" + tag + "-" + Integer.toHexString(0x1000 + ThreadLocalRandom.current().nextInt(0xf000));
  }

  /** The daemon launcher under test. */
  public static Path flanneld() {
    return Path.of(System.getProperty("jflannel.flanneld", "../daemon/target/flanneld"))
        .toAbsolutePath().normalize();
  }

  /** The class path the kube API mock process gets. */
  public static String labClasspath() {
    return System.getProperty("jflannel.lab.classpath", System.getProperty("java.class.path"));
  }

  /** A spec for a test lab; state files go to the usual directory so orphans get swept. */
  public static LabSpec spec(String name, int nodes, LabBackend backend, LabStoreKind store) {
    return LabSpec.of(name, nodes, backend, store, flanneld(), labClasspath());
  }
}
