package io.jflannel.daemon.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jflannel.daemon.testing.TestNetns;
import java.time.Duration;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The nftables rule engine against a real kernel, inside a fresh network namespace. */
class NftRulesNetnsTest {
  static final RulePlan FULL = IptablesRulesNetnsTest.FULL;
  static final String OTHER_TABLE = """
      table inet other {
      \tchain c {
      \t\ttype filter hook forward priority filter; policy accept;
      \t\tip saddr 198.51.100.0/24 drop
      \t}
      }
      """;

  TestNetns ns;

  @BeforeEach
  void setUp() {
    ns = TestNetns.create("nft");
  }

  @AfterEach
  void tearDown() {
    if (ns != null) {
      ns.close();
    }
  }

  String list(String family, String table) {
    return ns.run("nft", "list", "table", family, table);
  }

  @Test
  void appliedTablesEqualGolden() {
    NftTrafficRules rules = new NftTrafficRules(FULL, ns.runner());
    rules.apply();
    assertEquals(Golden.text("nft-ipv4.txt"), list("ip", "flannel-ipv4"));
    assertEquals(Golden.text("nft-ipv6.txt"), list("ip6", "flannel-ipv6"));
    assertFalse(rules.ensure());
    rules.apply();
    assertEquals(Golden.text("nft-ipv4.txt"), list("ip", "flannel-ipv4"));
  }

  @Test
  void deletedRuleComesBackWithinOneResyncAndOtherTablesStay() throws Exception {
    ns.runWithInput(OTHER_TABLE, "nft", "-f", "-");
    NftTrafficRules rules = new NftTrafficRules(FULL, ns.runner());
    rules.apply();
    String chain = ns.run("nft", "-a", "list", "chain", "ip", "flannel-ipv4", "postrtg");
    Matcher m = Pattern.compile("ip saddr != 10\\.244\\.0\\.0/16 ip daddr 10\\.244\\.1\\.0/24 "
        + "return # handle (\\d+)").matcher(chain);
    assertTrue(m.find(), chain);
    ns.run("nft", "delete", "rule", "ip", "flannel-ipv4", "postrtg", "handle", m.group(1));
    assertFalse(Golden.text("nft-ipv4.txt").equals(list("ip", "flannel-ipv4")));
    RecordingMetrics metrics = new RecordingMetrics();
    Duration period = Duration.ofMillis(500);
    try (RuleResync resync = RuleResync.start(rules, period, metrics)) {
      long deadline = System.nanoTime() + period.multipliedBy(3).toNanos();
      IptablesRulesNetnsTest.awaitTrue(deadline,
          () -> Golden.text("nft-ipv4.txt").equals(list("ip", "flannel-ipv4")));
      IptablesRulesNetnsTest.awaitTrue(deadline, () -> metrics.repairs.get() >= 1);
    }
    assertEquals(OTHER_TABLE, list("inet", "other"));
  }

  @Test
  void deletedTableIsRecreated() {
    NftTrafficRules rules = new NftTrafficRules(FULL, ns.runner());
    rules.apply();
    ns.run("nft", "delete", "table", "ip6", "flannel-ipv6");
    assertTrue(rules.ensure());
    assertEquals(Golden.text("nft-ipv6.txt"), list("ip6", "flannel-ipv6"));
  }

  @Test
  void changedSubnetAndDroppedFamilyAreCleanedUp() {
    RulePlan old = new RulePlan(Optional.of(FamilyNets.of("10.244.0.0/16", "10.244.9.1/24")),
        Optional.of(RuleRenderingTest.V6), true, true, true);
    new NftTrafficRules(old, ns.runner()).apply();
    RulePlan now = new RulePlan(Optional.of(RuleRenderingTest.V4), Optional.empty(), true, true, true);
    NftTrafficRules rules = new NftTrafficRules(now, ns.runner());
    rules.removeStale(old);
    rules.apply();
    assertEquals(Golden.text("nft-ipv4.txt"), list("ip", "flannel-ipv4"));
    String all = ns.run("nft", "list", "ruleset");
    assertFalse(all.contains("flannel-ipv6"), all);
    assertFalse(all.contains("10.244.9.0/24"), all);
  }
}
