package io.jflannel.daemon.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The decision order of the iptables flavour detection, on scripted listings. */
class IptablesDetectionTest {
  static final String EMPTY_MANGLE = "*mangle\n:PREROUTING ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\nCOMMIT\n";
  static final String HINT_MANGLE = "*mangle\n:PREROUTING ACCEPT [0:0]\n:KUBE-IPTABLES-HINT - [0:0]\nCOMMIT\n";
  static final String CANARY_MANGLE = "*mangle\n:KUBE-KUBELET-CANARY - [0:0]\nCOMMIT\n";

  static String rules(String table, int n) {
    StringBuilder s = new StringBuilder("*" + table + "\n:INPUT ACCEPT [0:0]\n");
    for (int i = 0; i < n; i++) {
      s.append("-A INPUT -s 198.51.100.").append(i).append("/32 -j ACCEPT\n");
    }
    return s.append("COMMIT\n").toString();
  }

  /** Everything empty; individual lines are overridden per test. */
  static ScriptedRunner host() {
    return new ScriptedRunner()
        .answer("iptables-nft-save -t mangle", EMPTY_MANGLE)
        .answer("ip6tables-nft-save -t mangle", EMPTY_MANGLE)
        .answer("iptables-legacy-save", "")
        .answer("ip6tables-legacy-save", "")
        .answer("iptables-nft-save", "")
        .answer("ip6tables-nft-save", "");
  }

  @Test
  void emptyHostGetsNft() {
    IptablesDetection.Choice c = IptablesDetection.detect(host());
    assertEquals(IptablesFlavour.NFT, c.flavour());
    assertTrue(c.reason().contains("no iptables rules"), c.reason());
  }

  @Test
  void kubeletHintInNftWinsOverMoreLegacyRules() {
    ScriptedRunner r = host().answer("iptables-nft-save -t mangle", HINT_MANGLE)
        .answer("iptables-legacy-save", rules("filter", 40));
    IptablesDetection.Choice c = IptablesDetection.detect(r);
    assertEquals(IptablesFlavour.NFT, c.flavour());
    assertTrue(c.reason().contains("KUBE-IPTABLES-HINT") && c.reason().contains("iptables-nft"), c.reason());
    // decided by the first, cheapest listing
    assertEquals(1, r.calls.size(), r.calls.toString());
  }

  @Test
  void kubeletHintInIpv6NftCounts() {
    IptablesDetection.Choice c = IptablesDetection.detect(host()
        .answer("ip6tables-nft-save -t mangle", CANARY_MANGLE)
        .answer("iptables-legacy-save", rules("filter", 40)));
    assertEquals(IptablesFlavour.NFT, c.flavour());
    assertTrue(c.reason().contains("KUBE-KUBELET-CANARY") && c.reason().contains("ip6tables-nft"), c.reason());
  }

  @Test
  void kubeletHintInLegacyWinsOverMoreNftRules() {
    IptablesDetection.Choice c = IptablesDetection.detect(host()
        .answer("iptables-legacy-save", HINT_MANGLE + rules("nat", 1))
        .answer("iptables-nft-save", rules("filter", 40)));
    assertEquals(IptablesFlavour.LEGACY, c.flavour());
    assertTrue(c.reason().contains("KUBE-IPTABLES-HINT") && c.reason().contains("iptables-legacy"), c.reason());
    assertCheckedLegacyWithoutNamingATable(host()
        .answer("iptables-legacy-save", HINT_MANGLE));
  }

  @Test
  void kubeletHintInIpv6Legacy() {
    assertEquals(IptablesFlavour.LEGACY, IptablesDetection.detect(host()
        .answer("ip6tables-legacy-save", CANARY_MANGLE)).flavour());
  }

  @Test
  void withoutHintsTheFlavourWithMoreRulesWins() {
    assertEquals(IptablesFlavour.LEGACY, IptablesDetection.detect(host()
        .answer("iptables-legacy-save", rules("filter", 3))
        .answer("ip6tables-legacy-save", rules("filter", 2))
        .answer("iptables-nft-save", rules("filter", 4))).flavour());
    IptablesDetection.Choice nft = IptablesDetection.detect(host()
        .answer("iptables-legacy-save", rules("filter", 3))
        .answer("ip6tables-nft-save", rules("filter", 4)));
    assertEquals(IptablesFlavour.NFT, nft.flavour());
    assertTrue(nft.reason().contains("4 iptables-nft rules and 3 iptables-legacy rules"), nft.reason());
  }

  @Test
  void aTieGoesToNft() {
    assertEquals(IptablesFlavour.NFT, IptablesDetection.detect(host()
        .answer("iptables-legacy-save", rules("filter", 5))
        .answer("iptables-nft-save", rules("nat", 5))).flavour());
  }

  @Test
  void aChainNamedLikeTheHintButLongerIsNoHint() {
    assertFalse(IptablesDetection.kubeletChain(":KUBE-IPTABLES-HINTS - [0:0]\n").isPresent());
    assertFalse(IptablesDetection.kubeletChain("-A X -j KUBE-IPTABLES-HINT\n").isPresent());
    assertTrue(IptablesDetection.kubeletChain(":KUBE-IPTABLES-HINT - [0:0]\n").isPresent());
  }

  @Test
  void aFailingListingCountsAsEmpty() {
    ScriptedRunner r = host().fail("iptables-nft-save -t mangle", 1).fail("ip6tables-nft-save -t mangle", 1)
        .fail("iptables-nft-save", 1).fail("ip6tables-nft-save", 1)
        .answer("iptables-legacy-save", rules("filter", 1));
    assertEquals(IptablesFlavour.LEGACY, IptablesDetection.detect(r).flavour());
  }

  @Test
  void ruleCountIgnoresDeclarationsAndComments() {
    assertEquals(2, IptablesDetection.rules("# Generated\n*filter\n:INPUT ACCEPT [0:0]\n:X - [0:0]\n"
        + "-A INPUT -j X\n-A X -j ACCEPT\nCOMMIT\n"));
  }

  private static void assertCheckedLegacyWithoutNamingATable(ScriptedRunner r) {
    IptablesDetection.detect(r);
    // naming a table (-t mangle) would make iptables-legacy create it
    assertTrue(r.calls.stream().filter(c -> c.contains("legacy")).noneMatch(c -> c.contains("-t")), r.calls.toString());
  }
}
