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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * iptables flavour detection against a real kernel: a namespace stands for a host whose rules
 * live in iptables-legacy, in iptables-nft, or nowhere yet; flannel's chains must land next to
 * the host's rules and nothing may appear in the other flavour.
 */
class IptablesFlavourNetnsTest {
  static final RulePlan PLAN = new RulePlan(Optional.of(RuleRenderingTest.V4),
      Optional.of(RuleRenderingTest.V6), true, true, true);
  static final String PATH = Executables.path(System.getenv());

  TestNetns ns;

  @BeforeEach
  void setUp() {
    ns = TestNetns.create("nft", "iptables-nft", "iptables-nft-save", "iptables-nft-restore",
        "iptables-legacy", "iptables-legacy-save", "iptables-legacy-restore",
        "ip6tables-nft-save", "ip6tables-nft-restore", "ip6tables-legacy-save", "ip6tables-legacy-restore");
  }

  @AfterEach
  void tearDown() {
    if (ns != null) {
      ns.close();
    }
  }

  /** kube-proxy-like rules a host's own software installed with {@code iptables} (a flavour's command). */
  void hostRules(String iptables) {
    ns.run(iptables, "-t", "filter", "-N", "KUBE-FIREWALL");
    ns.run(iptables, "-t", "filter", "-A", "INPUT", "-j", "KUBE-FIREWALL");
    ns.run(iptables, "-t", "filter", "-A", "KUBE-FIREWALL", "-s", "198.51.100.1/32", "-j", "DROP");
    ns.run(iptables, "-t", "nat", "-A", "POSTROUTING", "-s", "172.17.0.0/16", "-j", "MASQUERADE");
  }

  void kubeletHint(String iptables) {
    ns.run(iptables, "-t", "mangle", "-N", "KUBE-IPTABLES-HINT");
  }

  RuleTools select(IptablesMode mode) throws RuleSetupException {
    return RuleTools.select(new FlanneldOptions.Rules(true, false, Duration.ofSeconds(5), true, mode), false,
        EnumSet.allOf(IpFamily.class), ns.runner(), Executables.onPath(PATH), PATH);
  }

  /** Selects, applies the plan, and returns the engine. */
  IptablesTrafficRules applyWith(RuleTools tools) {
    TrafficRules rules = tools.create(PLAN);
    rules.apply();
    return (IptablesTrafficRules) rules;
  }

  String save(String command) {
    return ns.run(command);
  }

  void assertOursIn(String flavourSave, String otherSave) {
    String here = save(flavourSave);
    for (String chain : List.of(":FLANNEL-POSTRTG", ":FLANNEL-FWD",
        "-A POSTROUTING -m comment --comment \"flanneld masq\" -j FLANNEL-POSTRTG",
        "-A FORWARD -m comment --comment \"flanneld forward\" -j FLANNEL-FWD")) {
      assertTrue(here.contains(chain), chain + " missing from " + flavourSave + ":\n" + here);
    }
    String there = save(otherSave);
    assertFalse(there.contains("FLANNEL"), otherSave + " must hold none of flannel's rules:\n" + there);
  }

  @Test
  void legacyOnlyHostGetsTheRulesInLegacy() throws Exception {
    hostRules("iptables-legacy");
    RuleTools tools = select(IptablesMode.AUTO);
    assertEquals(Optional.of(IptablesFlavour.LEGACY), tools.flavour());
    IptablesTrafficRules rules = applyWith(tools);
    assertOursIn("iptables-legacy-save", "iptables-nft-save");
    assertOursIn("ip6tables-legacy-save", "ip6tables-nft-save");
    String legacy = save("iptables-legacy-save");
    assertTrue(legacy.contains("-A KUBE-FIREWALL -s 198.51.100.1/32 -j DROP")
        && legacy.contains("-A POSTROUTING -s 172.17.0.0/16 -j MASQUERADE"), legacy);
    assertEquals("", ns.run("nft", "list", "ruleset").strip(), "no nf_tables table may appear on a legacy host");
    assertFalse(rules.ensure(), "freshly applied legacy rules must be in sync");
    ns.run("iptables-legacy", "-t", "nat", "-D", "FLANNEL-POSTRTG", "-s", "10.244.0.0/16", "!", "-d", "224.0.0.0/4",
        "-m", "comment", "--comment", "flanneld masq", "-j", "MASQUERADE", "--random-fully");
    assertTrue(rules.ensure(), "a rule deleted from the legacy chain is found missing");
    assertOursIn("iptables-legacy-save", "iptables-nft-save");
    assertFalse(rules.ensure());
  }

  @Test
  void nftOnlyHostGetsTheRulesInNftAndNoLegacyTableAppears() throws Exception {
    hostRules("iptables-nft");
    RuleTools tools = select(IptablesMode.AUTO);
    assertEquals(Optional.of(IptablesFlavour.NFT), tools.flavour());
    IptablesTrafficRules rules = applyWith(tools);
    assertOursIn("iptables-nft-save", "iptables-legacy-save");
    assertOursIn("ip6tables-nft-save", "ip6tables-legacy-save");
    // Detection never asked legacy for a table by name, which would have created it.
    assertEquals("", save("iptables-legacy-save").strip());
    assertEquals("", save("ip6tables-legacy-save").strip());
    assertFalse(rules.ensure());
  }

  @Test
  void emptyHostGetsNft() throws Exception {
    RuleTools tools = select(IptablesMode.AUTO);
    assertEquals(Optional.of(IptablesFlavour.NFT), tools.flavour());
    applyWith(tools);
    assertOursIn("iptables-nft-save", "iptables-legacy-save");
    assertEquals("", save("iptables-legacy-save").strip());
  }

  @Test
  void kubeletHintInLegacyBeatsMoreNftRules() throws Exception {
    hostRules("iptables-nft");
    kubeletHint("iptables-legacy");
    RuleTools tools = select(IptablesMode.AUTO);
    assertEquals(Optional.of(IptablesFlavour.LEGACY), tools.flavour());
    applyWith(tools);
    assertOursIn("iptables-legacy-save", "iptables-nft-save");
  }

  @Test
  void kubeletHintInNftBeatsMoreLegacyRules() throws Exception {
    hostRules("iptables-legacy");
    kubeletHint("iptables-nft");
    RuleTools tools = select(IptablesMode.AUTO);
    assertEquals(Optional.of(IptablesFlavour.NFT), tools.flavour());
    applyWith(tools);
    assertOursIn("iptables-nft-save", "iptables-legacy-save");
  }

  @Test
  void theFlagOverridesWhatTheHostUses() throws Exception {
    hostRules("iptables-legacy");
    RuleTools tools = select(IptablesMode.NFT);
    assertEquals(Optional.of(IptablesFlavour.NFT), tools.flavour());
    applyWith(tools);
    assertOursIn("iptables-nft-save", "iptables-legacy-save");
  }
}
