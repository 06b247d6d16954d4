package io.jflannel.daemon.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RuleRenderingTest {
  static final FamilyNets V4 = FamilyNets.of("10.244.0.0/16", "10.244.1.1/24");
  static final FamilyNets V6 = FamilyNets.of("fd00:10:244::/56", "fd00:10:244:1::1/64");

  static RulePlan plan(boolean masq, boolean forward, boolean randomFully) {
    return new RulePlan(Optional.of(V4), Optional.of(V6), masq, forward, randomFully);
  }

  @Test
  void ipv4MasqueradeMatchesGolden() {
    assertEquals(Golden.lines("iptables-ipv4-masq.txt"),
        IptablesRuleSets.masquerade(V4, true).lines());
  }

  @Test
  void ipv4MasqueradeWithoutRandomFullyMatchesGolden() {
    assertEquals(Golden.lines("iptables-ipv4-masq-no-random-fully.txt"),
        IptablesRuleSets.masquerade(V4, false).lines());
  }

  @Test
  void forwardMatchesGolden() {
    assertEquals(Golden.lines("iptables-ipv4-forward.txt"), IptablesRuleSets.forward(V4).lines());
    assertEquals(Golden.lines("iptables-ipv6-forward.txt"), IptablesRuleSets.forward(V6).lines());
  }

  @Test
  void ipv6MasqueradeMatchesGolden() {
    assertEquals(Golden.lines("iptables-ipv6-masq.txt"),
        IptablesRuleSets.masquerade(V6, true).lines());
  }

  @Test
  void planSelectsGroupsAndFamilies() {
    List<IptablesChain> all = IptablesRuleSets.render(plan(true, true, true));
    assertEquals(4, all.size());
    assertEquals(List.of(IpFamily.IPV4, IpFamily.IPV4, IpFamily.IPV6, IpFamily.IPV6),
        all.stream().map(IptablesChain::family).toList());
    assertEquals(List.of("FLANNEL-POSTRTG", "FLANNEL-FWD", "FLANNEL-POSTRTG", "FLANNEL-FWD"),
        all.stream().map(IptablesChain::chain).toList());
    List<IptablesChain> fwdOnly = IptablesRuleSets.render(
        new RulePlan(Optional.of(V4), Optional.empty(), false, true, true));
    assertEquals(1, fwdOnly.size());
    assertEquals("filter", fwdOnly.get(0).table());
    assertTrue(IptablesRuleSets.render(RulePlan.none()).isEmpty());
  }

  @Test
  void nftTablesMatchGolden() {
    List<NftTable> tables = NftRuleSets.render(plan(true, true, true));
    assertEquals(2, tables.size());
    assertEquals(Golden.text("nft-ipv4.txt"), tables.get(0).text());
    assertEquals(Golden.text("nft-ipv6.txt"), tables.get(1).text());
    assertEquals("ip flannel-ipv4", tables.get(0).qualifiedName());
    assertEquals("ip6 flannel-ipv6", tables.get(1).qualifiedName());
  }

  @Test
  void nftWithoutRandomFullyOrForward() {
    NftTable t = NftRuleSets.render(
        new RulePlan(Optional.of(V4), Optional.empty(), true, false, false)).get(0);
    assertFalse(t.text().contains("fully-random"));
    assertFalse(t.text().contains("chain forward"));
    assertTrue(t.text().contains("ip saddr 10.244.0.0/16 ip daddr != 224.0.0.0/4 masquerade\n"));
    assertTrue(NftRuleSets.render(
        new RulePlan(Optional.of(V4), Optional.empty(), false, false, true)).isEmpty());
  }

  @Test
  void nftReplaceScriptRecreatesTableInOneTransaction() {
    String script = NftTrafficRules.replaceScript(NftRuleSets.render(plan(true, false, true)));
    assertTrue(script.startsWith("table ip flannel-ipv4\ndelete table ip flannel-ipv4\n"
        + "table ip flannel-ipv4 {\n"), script);
    assertTrue(script.contains("table ip6 flannel-ipv6\ndelete table ip6 flannel-ipv6\n"));
  }

  @Test
  void planFromFlags() {
    var flags = new io.jflannel.daemon.flags.FlanneldOptions.Rules(
        true, false, java.time.Duration.ofSeconds(5), false);
    RulePlan p = RulePlan.of(flags, Optional.of(V4), Optional.empty(), true);
    assertTrue(p.masquerade());
    assertFalse(p.forward());
    assertTrue(p.randomFully());
    assertFalse(RulePlan.of(flags, Optional.of(V4), Optional.empty(), false).randomFully());
    var noRandom = new io.jflannel.daemon.flags.FlanneldOptions.Rules(
        true, true, java.time.Duration.ofSeconds(5), true);
    assertFalse(RulePlan.of(noRandom, Optional.of(V4), Optional.empty(), true).randomFully());
    assertFalse(p.withMasquerade(false).masquerade());
  }

  @Test
  void familyMismatchIsRefused() {
    assertThrows(IllegalArgumentException.class,
        () -> FamilyNets.of("10.244.0.0/16", "fd00::/64"));
    assertThrows(IllegalArgumentException.class,
        () -> new RulePlan(Optional.of(V6), Optional.empty(), true, true, true));
  }

  @Test
  void subnetEnvFormIsNormalizedToNetwork() {
    assertEquals("10.244.1.0/24", V4.subnet().toString());
    assertEquals("fd00:10:244:1::/64", V6.subnet().toString());
    assertEquals("fd00:10:244::/56", V6.network().toString());
  }
}
