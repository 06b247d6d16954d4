package io.jflannel.daemon.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jflannel.daemon.flags.FlanneldOptions;
import io.jflannel.daemon.flags.IptablesMode;
import java.time.Duration;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/** Which tools {@link RuleTools#select} picks, and the one line it fails with when they are missing. */
class RuleToolsTest {
  static final Set<IpFamily> V4 = EnumSet.of(IpFamily.IPV4);
  static final String PATH = "/usr/bin:/bin";

  static FlanneldOptions.Rules flags(boolean masq, boolean forward, IptablesMode mode) {
    return new FlanneldOptions.Rules(masq, false, Duration.ofSeconds(5), forward, mode);
  }

  /** Both flavours' commands for both families, plus the unsuffixed ones and nft. */
  static Set<String> everything() {
    Set<String> all = new HashSet<>(Set.of("nft"));
    for (IptablesFlavour f : IptablesFlavour.values()) {
      for (IpFamily fam : IpFamily.values()) {
        all.addAll(f.commands(fam));
      }
    }
    return all;
  }

  static Predicate<String> only(Set<String> commands) {
    return commands::contains;
  }

  static Set<String> without(Set<String> all, String... gone) {
    Set<String> s = new HashSet<>(all);
    List.of(gone).forEach(s::remove);
    return s;
  }

  static Set<String> flavourOnly(IptablesFlavour f) {
    Set<String> s = new HashSet<>();
    for (IpFamily fam : IpFamily.values()) {
      s.addAll(f.commands(fam));
    }
    return s;
  }

  /** A runner no test may reach: selection must not run commands unless it detects. */
  static final CommandRunner NOT_RUN = (argv, in) -> {
    throw new AssertionError("ran " + argv);
  };

  @Test
  void missingIptablesRestoreWithIpMasqIsOneLineNamingIt() {
    RuleSetupException e = assertThrows(RuleSetupException.class, () -> RuleTools.select(
        flags(true, true, IptablesMode.AUTO), false, V4, NOT_RUN,
        only(Set.of("nft", "iptables", "iptables-save")), PATH));
    assertTrue(e.getMessage().startsWith("--ip-masq needs iptables-restore"), e.getMessage());
    assertTrue(e.getMessage().contains("PATH " + PATH), e.getMessage());
    assertFalse(e.getMessage().contains("\n"), e.getMessage());
  }

  @Test
  void noIptablesAtAllNamesEveryCommandAndTheForwardFlagWithoutMasquerade() {
    RuleSetupException e = assertThrows(RuleSetupException.class, () -> RuleTools.select(
        flags(false, true, IptablesMode.AUTO), false, V4, NOT_RUN, only(Set.of()), PATH));
    assertTrue(e.getMessage().startsWith("--iptables-forward-rules (on by default) needs iptables, "
        + "iptables-save, iptables-restore"), e.getMessage());
  }

  @Test
  void ipv6NeedsTheIp6tablesCommands() {
    RuleSetupException e = assertThrows(RuleSetupException.class, () -> RuleTools.select(
        flags(true, true, IptablesMode.AUTO), false, EnumSet.allOf(IpFamily.class), NOT_RUN,
        only(flavourOnly(IptablesFlavour.INSTALLED).stream().filter(c -> !c.startsWith("ip6")).collect(
            java.util.stream.Collectors.toSet())), PATH));
    assertTrue(e.getMessage().contains("ip6tables, ip6tables-save, ip6tables-restore"), e.getMessage());
  }

  @Test
  void noRulesWantedNeedsNoTools() throws Exception {
    RuleTools t = RuleTools.select(flags(false, false, IptablesMode.LEGACY), false, V4, NOT_RUN,
        only(Set.of()), PATH);
    assertEquals(Optional.empty(), t.flavour());
    assertFalse(t.nftables());
  }

  @Test
  void nftablesModeNeedsNftNotIptables() throws Exception {
    RuleTools t = RuleTools.select(flags(true, true, IptablesMode.AUTO), true, V4, NOT_RUN,
        only(Set.of("nft")), PATH);
    assertTrue(t.nftables());
    assertInstanceOf(NftTrafficRules.class, t.create(RulePlan.none()));
    RuleSetupException e = assertThrows(RuleSetupException.class, () -> RuleTools.select(
        flags(true, true, IptablesMode.AUTO), true, V4, NOT_RUN, only(flavourOnly(IptablesFlavour.NFT)), PATH));
    assertTrue(e.getMessage().startsWith("--ip-masq with EnableNFTables needs the nft command"), e.getMessage());
  }

  @Test
  void forcedModeUsesItsFlavourWithoutDetecting() throws Exception {
    RuleTools legacy = RuleTools.select(flags(true, true, IptablesMode.LEGACY), false, V4, NOT_RUN,
        only(everything()), PATH);
    assertEquals(Optional.of(IptablesFlavour.LEGACY), legacy.flavour());
    IptablesTrafficRules rules = assertInstanceOf(IptablesTrafficRules.class, legacy.create(RulePlan.none()));
    assertEquals(IptablesFlavour.LEGACY, rules.flavour());
    assertEquals(Optional.of(IptablesFlavour.NFT), RuleTools.select(flags(true, true, IptablesMode.NFT),
        false, V4, NOT_RUN, only(everything()), PATH).flavour());
  }

  @Test
  void forcedModeWithItsCommandsMissingIsOneLine() {
    RuleSetupException e = assertThrows(RuleSetupException.class, () -> RuleTools.select(
        flags(true, true, IptablesMode.LEGACY), false, V4, NOT_RUN,
        only(without(everything(), "iptables-legacy-restore")), PATH));
    assertEquals("--iptables-mode=legacy needs iptables-legacy-restore, not found on PATH " + PATH, e.getMessage());
  }

  @Test
  void autoWithOneFlavourInstalledTakesIt() throws Exception {
    assertEquals(Optional.of(IptablesFlavour.LEGACY), RuleTools.select(flags(true, true, IptablesMode.AUTO),
        false, V4, NOT_RUN, only(flavourOnly(IptablesFlavour.LEGACY)), PATH).flavour());
    assertEquals(Optional.of(IptablesFlavour.NFT), RuleTools.select(flags(true, true, IptablesMode.AUTO),
        false, V4, NOT_RUN, only(flavourOnly(IptablesFlavour.NFT)), PATH).flavour());
    assertEquals(Optional.of(IptablesFlavour.INSTALLED), RuleTools.select(flags(true, true, IptablesMode.AUTO),
        false, V4, NOT_RUN, only(flavourOnly(IptablesFlavour.INSTALLED)), PATH).flavour());
  }

  @Test
  void autoWithBothFlavoursDetects() throws Exception {
    ScriptedRunner host = IptablesDetectionTest.host()
        .answer("iptables-legacy-save", IptablesDetectionTest.HINT_MANGLE);
    RuleTools t = RuleTools.select(flags(true, true, IptablesMode.AUTO), false, V4, host, only(everything()), PATH);
    assertEquals(Optional.of(IptablesFlavour.LEGACY), t.flavour());
    assertEquals("iptables-legacy", t.describe());
  }

  @Test
  void randomFullyAsksTheChosenFlavour() throws Exception {
    ScriptedRunner r = new ScriptedRunner().answer("iptables-legacy --version", "iptables v1.8.9 (legacy)\n");
    RuleTools t = RuleTools.select(flags(true, true, IptablesMode.LEGACY), false, V4, r, only(everything()), PATH);
    t.randomFullySupported();
    assertEquals(List.of("iptables-legacy --version"), r.calls);
    ScriptedRunner broken = new ScriptedRunner().fail("iptables-nft --version", 1);
    assertFalse(RuleTools.select(flags(true, true, IptablesMode.NFT), false, V4, broken, only(everything()), PATH)
        .randomFullySupported(), "an iptables that cannot tell its version gets plain masquerade");
  }

  @Test
  void cleanUpSkipsToolsThatAreNotInstalled() throws Exception {
    // nftables mode on a host without any iptables: nothing to list, nothing run
    assertEquals(List.of(), RuleTools.select(flags(true, true, IptablesMode.AUTO), true, V4, NOT_RUN,
        only(Set.of("nft")), PATH).removeOtherMode());
    // iptables mode without nft and without the other flavour: the same
    assertEquals(List.of(), RuleTools.select(flags(true, true, IptablesMode.AUTO), false, V4, NOT_RUN,
        only(flavourOnly(IptablesFlavour.LEGACY)), PATH).removeOtherMode());
  }

  @Test
  void aFailedCleanUpIsLoggedNotFatal() throws Exception {
    ScriptedRunner r = new ScriptedRunner().fail("nft list tables", 1)
        .fail("iptables-legacy-save", 1).fail("ip6tables-legacy-save", 1);
    assertEquals(List.of(), RuleTools.select(flags(true, true, IptablesMode.NFT), false, V4, r,
        only(everything()), PATH).removeOtherMode());
    assertEquals(List.of("nft list tables", "iptables-legacy-save", "ip6tables-legacy-save"), r.calls);
  }

  @Test
  void pathLookupFindsExecutablesOnly() throws Exception {
    java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("jfl-path");
    try {
      java.nio.file.Path tool = java.nio.file.Files.createFile(dir.resolve("iptables-restore"));
      java.nio.file.Files.createFile(dir.resolve("iptables-save"));
      tool.toFile().setExecutable(true);
      java.nio.file.Files.createDirectory(dir.resolve("nft"));
      Predicate<String> p = Executables.onPath("/nonexistent::" + dir);
      assertTrue(p.test("iptables-restore"));
      assertFalse(p.test("iptables-save"), "not executable");
      assertFalse(p.test("nft"), "a directory");
      assertEquals(Executables.DEFAULT_PATH, Executables.path(java.util.Map.of("PATH", "")));
    } finally {
      try (var s = java.nio.file.Files.walk(dir)) {
        s.sorted(java.util.Comparator.reverseOrder()).forEach(x -> x.toFile().delete());
      }
    }
  }
}
