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
