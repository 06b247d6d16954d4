package io.jflannel.daemon.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jflannel.daemon.testing.TestNetns;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The iptables rule engine against a real kernel, inside a fresh network namespace. */
class IptablesRulesNetnsTest {
  static final FamilyNets V4 = RuleRenderingTest.V4;
  static final FamilyNets V6 = RuleRenderingTest.V6;
  static final RulePlan FULL = new RulePlan(Optional.of(V4), Optional.of(V6), true, true, true);

  TestNetns ns;

  @BeforeEach
  void setUp() {
    ns = TestNetns.create("iptables-restore", "iptables-save", "ip6tables-restore", "ip6tables-save");
  }

  @AfterEach
  void tearDown() {
    if (ns != null) {
      ns.close();
    }
  }

  /** Our rules as iptables-save prints them: the jump into the chain, then the chain. */
  List<String> ours(String save, String table, String parent, String chain) {
    IptablesDump d = IptablesDump.parse(save);
    List<String> out = new ArrayList<>();
    d.rules(table, parent).stream().filter(l -> l.endsWith("-j " + chain)).forEach(out::add);
    out.addAll(d.rules(table, chain));
    return out;
  }

  List<String> ours4(String table, String parent, String chain) {
    return ours(ns.run("iptables-save", "-t", table), table, parent, chain);
  }

  List<String> ours6(String table, String parent, String chain) {
    return ours(ns.run("ip6tables-save", "-t", table), table, parent, chain);
  }

  @Test
  void appliedRulesEqualGoldenSets() {
    IptablesTrafficRules rules = new IptablesTrafficRules(FULL, ns.runner());
    rules.apply();
    assertEquals(Golden.lines("iptables-ipv4-masq.txt"), ours4("nat", "POSTROUTING", "FLANNEL-POSTRTG"));
    assertEquals(Golden.lines("iptables-ipv4-forward.txt"), ours4("filter", "FORWARD", "FLANNEL-FWD"));
    assertEquals(Golden.lines("iptables-ipv6-masq.txt"), ours6("nat", "POSTROUTING", "FLANNEL-POSTRTG"));
    assertEquals(Golden.lines("iptables-ipv6-forward.txt"), ours6("filter", "FORWARD", "FLANNEL-FWD"));
    assertFalse(rules.ensure(), "freshly applied rules must be in sync");
  }

  @Test
  void applyingTwiceDoesNotDuplicate() {
    IptablesTrafficRules rules = new IptablesTrafficRules(FULL, ns.runner());
    rules.apply();
    rules.apply();
    assertEquals(Golden.lines("iptables-ipv4-masq.txt"), ours4("nat", "POSTROUTING", "FLANNEL-POSTRTG"));
    assertEquals(Golden.lines("iptables-ipv6-forward.txt"), ours6("filter", "FORWARD", "FLANNEL-FWD"));
  }

  @Test
  void withoutRandomFullyMatchesItsGolden() {
    new IptablesTrafficRules(new RulePlan(Optional.of(V4), Optional.empty(), true, false, false),
        ns.runner()).apply();
    assertEquals(Golden.lines("iptables-ipv4-masq-no-random-fully.txt"),
        ours4("nat", "POSTROUTING", "FLANNEL-POSTRTG"));
    assertEquals(List.of(), ours4("filter", "FORWARD", "FLANNEL-FWD"));
  }

  @Test
  void rulesOfOtherChainsAreUntouched() {
    ns.runWithInput("""
        *nat
        :KUBE-POSTROUTING - [0:0]
        -A POSTROUTING -m comment --comment "kube postrouting" -j KUBE-POSTROUTING
        -A KUBE-POSTROUTING -j MASQUERADE
        -A POSTROUTING -s 198.51.100.0/24 -j MASQUERADE
        COMMIT
        *filter
        -A FORWARD -s 198.51.100.0/24 -j DROP
        COMMIT
        """, "iptables-restore", "--noflush");
    IptablesTrafficRules rules = new IptablesTrafficRules(FULL, ns.runner());
    rules.apply();
    ns.run("iptables", "-t", "nat", "-F", "FLANNEL-POSTRTG");
    assertTrue(rules.ensure());
    rules.removeStale(new RulePlan(
        Optional.of(FamilyNets.of("10.99.0.0/16", "10.99.3.0/24")), Optional.empty(), true, true, true));
    IptablesDump nat = IptablesDump.parse(ns.run("iptables-save", "-t", "nat"));
    assertEquals(List.of(
        "-A POSTROUTING -m comment --comment \"kube postrouting\" -j KUBE-POSTROUTING",
        "-A POSTROUTING -s 198.51.100.0/24 -j MASQUERADE",
        "-A POSTROUTING -m comment --comment \"flanneld masq\" -j FLANNEL-POSTRTG"),
        nat.rules("nat", "POSTROUTING"));
    assertEquals(List.of("-A KUBE-POSTROUTING -j MASQUERADE"), nat.rules("nat", "KUBE-POSTROUTING"));
    IptablesDump filter = IptablesDump.parse(ns.run("iptables-save", "-t", "filter"));
    assertEquals(List.of("-A FORWARD -s 198.51.100.0/24 -j DROP",
        "-A FORWARD -m comment --comment \"flanneld forward\" -j FLANNEL-FWD"),
        filter.rules("filter", "FORWARD"));
  }

  @Test
  void deletedRuleComesBackWithinOneResync() throws Exception {
    IptablesTrafficRules rules = new IptablesTrafficRules(FULL, ns.runner());
    rules.apply();
    RecordingMetrics metrics = new RecordingMetrics();
    Duration period = Duration.ofMillis(500);
    try (RuleResync resync = RuleResync.start(rules, period, metrics)) {
      // Delete the 3rd masquerade rule (an order-sensitive RETURN) and the v6 forward jump.
      ns.run("iptables", "-t", "nat", "-D", "FLANNEL-POSTRTG", "3");
      ns.run("ip6tables", "-t", "filter", "-D", "FORWARD", "-m", "comment", "--comment",
          "flanneld forward", "-j", "FLANNEL-FWD");
      assertFalse(Golden.lines("iptables-ipv4-masq.txt")
          .equals(ours4("nat", "POSTROUTING", "FLANNEL-POSTRTG")));
      long deadline = System.nanoTime() + period.multipliedBy(3).toNanos();
      awaitTrue(deadline, () -> Golden.lines("iptables-ipv4-masq.txt")
          .equals(ours4("nat", "POSTROUTING", "FLANNEL-POSTRTG"))
          && Golden.lines("iptables-ipv6-forward.txt")
              .equals(ours6("filter", "FORWARD", "FLANNEL-FWD")));
      awaitTrue(deadline, () -> metrics.repairs.get() >= 1);
      assertTrue(metrics.resyncs.get() >= metrics.repairs.get());
    }
  }

  @Test
  void reorderedOrForeignRuleInOurChainIsRebuilt() {
    IptablesTrafficRules rules = new IptablesTrafficRules(FULL, ns.runner());
    rules.apply();
    ns.run("iptables", "-t", "nat", "-I", "FLANNEL-POSTRTG", "1", "-j", "RETURN");
    assertTrue(rules.ensure());
    assertEquals(Golden.lines("iptables-ipv4-masq.txt"), ours4("nat", "POSTROUTING", "FLANNEL-POSTRTG"));
    ns.run("iptables", "-t", "nat", "-A", "POSTROUTING", "-m", "comment", "--comment",
        "flanneld masq", "-j", "FLANNEL-POSTRTG");
    assertTrue(rules.ensure(), "a duplicated jump is drift too");
    assertEquals(Golden.lines("iptables-ipv4-masq.txt"), ours4("nat", "POSTROUTING", "FLANNEL-POSTRTG"));
    assertFalse(rules.ensure());
  }

  @Test
  void changedSubnetRemovesOldRules() {
    RulePlan old = new RulePlan(Optional.of(FamilyNets.of("10.244.0.0/16", "10.244.9.1/24")),
        Optional.empty(), true, true, true);
    new IptablesTrafficRules(old, ns.runner()).apply();
    assertTrue(ns.run("iptables-save", "-t", "nat").contains("10.244.9.0/24"));
    RulePlan now = new RulePlan(Optional.of(V4), Optional.empty(), true, true, true);
    IptablesTrafficRules rules = new IptablesTrafficRules(now, ns.runner());
    rules.removeStale(old);
    String afterRemoval = ns.run("iptables-save", "-t", "nat");
    assertFalse(afterRemoval.contains("10.244.9.0/24"), afterRemoval);
    rules.apply();
    assertEquals(Golden.lines("iptables-ipv4-masq.txt"), ours4("nat", "POSTROUTING", "FLANNEL-POSTRTG"));
    assertFalse(ns.run("iptables-save").contains("10.244.9.0/24"));
  }

  @Test
  void groupNoLongerWantedIsUnhookedAndDropped() {
    RulePlan old = new RulePlan(Optional.of(V4), Optional.of(V6), true, true, true);
    new IptablesTrafficRules(old, ns.runner()).apply();
    RulePlan now = new RulePlan(Optional.of(V4), Optional.empty(), false, true, true);
    IptablesTrafficRules rules = new IptablesTrafficRules(now, ns.runner());
    rules.removeStale(old);
    rules.apply();
    IptablesDump nat = IptablesDump.parse(ns.run("iptables-save", "-t", "nat"));
    assertFalse(nat.hasChain("nat", "FLANNEL-POSTRTG"));
    assertEquals(List.of(), nat.rules("nat", "POSTROUTING"));
    IptablesDump nat6 = IptablesDump.parse(ns.run("ip6tables-save", "-t", "nat"));
    assertFalse(nat6.hasChain("nat", "FLANNEL-POSTRTG"));
    assertFalse(IptablesDump.parse(ns.run("ip6tables-save", "-t", "filter"))
        .hasChain("filter", "FLANNEL-FWD"));
    assertEquals(Golden.lines("iptables-ipv4-forward.txt"), ours4("filter", "FORWARD", "FLANNEL-FWD"));
  }

  @Test
  void restoreFailureNamesCommandAndStderr() {
    CommandException e = org.junit.jupiter.api.Assertions.assertThrows(CommandException.class,
        () -> ns.runWithInput("*nat\n-A NO-SUCH-CHAIN -j RETURN\nCOMMIT\n",
            "iptables-restore", "--noflush", "--wait"));
    assertTrue(e.getMessage().contains("iptables-restore"), e.getMessage());
    assertFalse(e.stderr().isBlank());
  }

  static void awaitTrue(long deadlineNanos, BooleanSupplier condition) throws InterruptedException {
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadlineNanos) {
        throw new AssertionError("condition not met in time");
      }
      Thread.sleep(50);
    }
  }
}
