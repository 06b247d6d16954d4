package io.jflannel.deploy;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The project rule for missing prerequisites: skipped on a workstation, a failure under {@code CI=true}. */
final class Prerequisites {
  private Prerequisites() {}

  static void require(boolean present, String what) {
    if (present) {
      return;
    }
    if ("true".equals(System.getenv("CI"))) {
      fail("prerequisite missing under CI: " + what);
    }
    assumeTrue(false, "skipped, prerequisite missing: " + what);
  }
}
