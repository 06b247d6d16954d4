package io.jflannel.daemon.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jflannel.daemon.flags.FlanneldOptions;
import io.jflannel.daemon.flags.IptablesMode;
import io.jflannel.daemon.testing.TestNetns;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Switching between iptables and nftables (issue: the other mode's rules stay behind and
 * masquerade a second time): {@link RuleTools#removeOtherMode} against a real kernel removes
 * flannel's leftovers of the mode not in use and leaves every foreign rule and table as it was.
 */
class OtherModeCleanupNetnsTest {
  static final RulePlan PLAN = IptablesFlavourNetnsTest.PLAN;
  static final String PATH = IptablesFlavourNetnsTest.PATH;
  static final String FOREIGN_NFT = "table inet foreign {\n"
      + "\tchain input {\n"
      + "\t\ttype filter hook input priority filter; policy accept;\n"
      + "\t\tip saddr 198.51.100.7 drop\n"
      + "\t}\n"
      + "}\n";

  TestNetns ns;

  @BeforeEach
  void setUp() {
    ns = TestNetns.create("nft", "iptables-nft", "iptables-nft-save", "iptables-nft-restore",
        "iptables-legacy", "iptables-legacy-save", "iptables-legacy-restore",
        "ip6tables-nft", "ip6tables-nft-save", "ip6tables-nft-restore",
        "ip6tables-legacy", "ip6tables-legacy-save", "ip6tables-legacy-restore");
  }

  @AfterEach
  void tearDown() {
    if (ns != null) {
      ns.close();
    }
  }

  RuleTools tools(boolean nftables, IptablesMode mode) throws RuleSetupException {
    return RuleTools.select(new FlanneldOptions.Rules(true, false, Duration.ofSeconds(5), true, mode), nftables,
        EnumSet.allOf(IpFamily.class), ns.runner(), Executables.onPath(PATH), PATH);
  }

  /** Foreign rules in both families of one flavour, including a jump from a built-in chain. */
  void foreignRules(IptablesFlavour f) {
    for (IpFamily fam : IpFamily.values()) {
      String ipt = f.iptables(fam);
      String src = fam == IpFamily.IPV4 ? "198.51.100.1/32" : "2001:db8::1/128";
      ns.run(ipt, "-t", "filter", "-N", "KUBE-FORWARD");
      ns.run(ipt, "-t", "filter", "-A", "FORWARD", "-j", "KUBE-FORWARD");
      ns.run(ipt, "-t", "filter", "-A", "KUBE-FORWARD", "-s", src, "-j", "ACCEPT");
      ns.run(ipt, "-t", "nat", "-A", "POSTROUTING", "-s", src, "-j", "MASQUERADE");
    }
  }

  /** A save listing without comments and without any line of flannel's. */
  String foreignPart(String saveCommand) {
    return ns.run(saveCommand).lines()
        .filter(l -> !l.startsWith("#") && !l.contains("FLANNEL"))
        .collect(Collectors.joining("\n"));
  }

  List<String> saves() {
    return List.of("iptables-nft-save", "ip6tables-nft-save", "iptables-legacy-save", "ip6tables-legacy-save");
  }

  @Test
  void nftablesModeRemovesFlannelChainsOfBothIptablesFlavours() throws Exception {
    foreignRules(IptablesFlavour.NFT);
    foreignRules(IptablesFlavour.LEGACY);
    new IptablesTrafficRules(PLAN, IptablesFlavour.NFT, ns.runner()).apply();
    new IptablesTrafficRules(PLAN, IptablesFlavour.LEGACY, ns.runner()).apply();
    List<String> before = saves().stream().map(this::foreignPart).toList();
    for (String save : saves()) {
      assertTrue(ns.run(save).contains(":FLANNEL-POSTRTG"), save + " should hold the leftovers");
    }

    RuleTools nft = tools(true, IptablesMode.AUTO);
    List<String> removed = nft.removeOtherMode();

    assertEquals(8, removed.size(), removed.toString());
    assertTrue(removed.contains("iptables-legacy nat/FLANNEL-POSTRTG"), removed.toString());
    assertTrue(removed.contains("ip6tables-nft filter/FLANNEL-FWD"), removed.toString());
    for (String save : saves()) {
      String now = ns.run(save);
      assertFalse(now.contains("FLANNEL"), save + " still holds flannel rules:\n" + now);
    }
    assertEquals(before, saves().stream().map(this::foreignPart).toList(), "foreign rules changed");
    assertTrue(foreignPart("iptables-legacy-save").contains("-A KUBE-FORWARD -s 198.51.100.1/32 -j ACCEPT"));

    // The nft tables then go in as usual, and a second clean-up finds nothing.
    nft.create(PLAN).apply();
    assertTrue(ns.run("nft", "list", "tables").contains("table ip flannel-ipv4"));
    assertEquals(List.of(), nft.removeOtherMode());
    assertTrue(ns.run("nft", "list", "tables").contains("table ip6 flannel-ipv6"), "its own tables stay");
  }

  @Test
  void iptablesModeRemovesFlannelNftTablesAndKeepsForeignOnes() throws Exception {
    ns.runWithInput(FOREIGN_NFT, "nft", "-f", "-");
    new NftTrafficRules(PLAN, ns.runner()).apply();
    String tables = ns.run("nft", "list", "tables");
    assertTrue(tables.contains("table ip flannel-ipv4") && tables.contains("table ip6 flannel-ipv6"), tables);
    String foreign = ns.run("nft", "list", "table", "inet", "foreign");

    RuleTools ipt = tools(false, IptablesMode.NFT);
    List<String> removed = ipt.removeOtherMode();

    assertEquals(List.of("nft table ip flannel-ipv4", "nft table ip6 flannel-ipv6"), removed);
    String after = ns.run("nft", "list", "tables");
    assertFalse(after.contains("flannel-ipv4") || after.contains("flannel-ipv6"), after);
    assertEquals(foreign, ns.run("nft", "list", "table", "inet", "foreign"), "foreign nft table changed");
    ipt.create(PLAN).apply();
    assertTrue(ns.run("iptables-nft-save").contains(":FLANNEL-POSTRTG"));
  }

  @Test
  void iptablesModeRemovesTheOtherFlavoursChainsAndKeepsItsOwn() throws Exception {
    foreignRules(IptablesFlavour.LEGACY);
    new IptablesTrafficRules(PLAN, IptablesFlavour.LEGACY, ns.runner()).apply();
    new IptablesTrafficRules(PLAN, IptablesFlavour.NFT, ns.runner()).apply();
    String legacyForeign = foreignPart("iptables-legacy-save");
    String nftBefore = foreignPart("iptables-nft-save") + ns.run("iptables-nft-save", "-t", "nat")
        .lines().filter(l -> l.contains("FLANNEL")).collect(Collectors.joining("\n"));

    List<String> removed = tools(false, IptablesMode.NFT).removeOtherMode();

    assertEquals(4, removed.size(), removed.toString());
    assertTrue(removed.stream().allMatch(r -> r.contains("-legacy ")), removed.toString());
    assertFalse(ns.run("iptables-legacy-save").contains("FLANNEL"));
    assertEquals(legacyForeign, foreignPart("iptables-legacy-save"));
    assertEquals(nftBefore, foreignPart("iptables-nft-save") + ns.run("iptables-nft-save", "-t", "nat")
        .lines().filter(l -> l.contains("FLANNEL")).collect(Collectors.joining("\n")), "the flavour in use is not touched");
  }

  @Test
  void aJumpAddedByHandFromAnotherChainGoesToo() throws Exception {
    new IptablesTrafficRules(PLAN, IptablesFlavour.LEGACY, ns.runner()).apply();
    ns.run("iptables-legacy", "-t", "nat", "-N", "SOMEONE-ELSES");
    ns.run("iptables-legacy", "-t", "nat", "-A", "POSTROUTING", "-j", "SOMEONE-ELSES");
    ns.run("iptables-legacy", "-t", "nat", "-A", "SOMEONE-ELSES", "-d", "10.244.0.0/16", "-j", "FLANNEL-POSTRTG");
    List<String> removed = tools(true, IptablesMode.AUTO).removeOtherMode();
    assertTrue(removed.contains("iptables-legacy nat/FLANNEL-POSTRTG"), removed.toString());
    String after = ns.run("iptables-legacy-save");
    assertFalse(after.contains("FLANNEL"), after);
    assertTrue(after.contains("-A POSTROUTING -j SOMEONE-ELSES"), after);
  }

  @Test
  void nothingToRemoveRunsNoRestore() throws Exception {
    foreignRules(IptablesFlavour.NFT);
    String before = foreignPart("iptables-nft-save");
    assertEquals(List.of(), tools(true, IptablesMode.AUTO).removeOtherMode());
    assertEquals(before, foreignPart("iptables-nft-save"));
    assertEquals("", ns.run("iptables-legacy-save").strip(), "no legacy table may be created by the clean-up");
  }
}
