package io.jflannel.daemon.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** What {@link NftTrafficRules#drift()} says about a table that differs from the plan. */
class NftDifferenceTest {
  static final List<String> PLAN = List.of("table ip flannel-ipv4 {", "chain postrtg {", "rule a", "rule b", "}", "}");

  @Test
  void missingAndForeignLinesAreNamed() {
    assertEquals(": missing 'rule a'", NftTrafficRules.difference(PLAN,
        List.of("table ip flannel-ipv4 {", "chain postrtg {", "rule b", "}", "}")));
    assertEquals(": missing 'rule a'; not in the plan 'rule x'", NftTrafficRules.difference(PLAN,
        List.of("table ip flannel-ipv4 {", "chain postrtg {", "rule x", "rule b", "}", "}")));
  }

  @Test
  void theSameLinesInAnotherOrderSaySo() {
    assertEquals(" (the same lines in another order)", NftTrafficRules.difference(PLAN,
        List.of("table ip flannel-ipv4 {", "chain postrtg {", "rule b", "rule a", "}", "}")));
  }
}
