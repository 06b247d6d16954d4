package io.jflannel.daemon.cleanup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jflannel.daemon.flags.CommandLineOutcome;
import io.jflannel.daemon.flags.FlagParser;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code flanneld cleanup}'s command line: the daemon's flags and environment plus its own. */
class CleanupFlagsTest {

  static CommandLineOutcome parse(Map<String, String> env, String... argv) {
    return FlagParser.parse(List.of(argv), env, new CleanupFlags());
  }

  @Test
  void ownFlagsInEveryFormBesideTheDaemonsFlagsAndEnvironment() {
    CleanupFlags f = new CleanupFlags();
    CommandLineOutcome o = FlagParser.parse(List.of("-dry-run", "--cni=true", "--release-lease", "false",
        "--cni-conf-file", "/x/10-flannel.conflist", "-cni-state-dir=/y", "--ip-masq"),
        Map.of("FLANNELD_SUBNET_FILE", "/z/subnet.env"), f);
    var start = assertInstanceOf(CommandLineOutcome.Start.class, o);
    assertTrue(f.dryRun && f.cni && !f.releaseLease);
    assertEquals("/x/10-flannel.conflist", f.cniConfFile);
    assertEquals("/y", f.cniStateDir);
    assertEquals(Path.of("/z/subnet.env"), start.options().subnetFile());
    assertTrue(start.options().rules().ipMasq());
  }

  @Test
  void defaults() {
    CleanupFlags f = new CleanupFlags();
    assertInstanceOf(CommandLineOutcome.Start.class, FlagParser.parse(List.of(), Map.of(), f));
    assertFalse(f.dryRun || f.cni || f.releaseLease);
    assertEquals("/etc/cni/net.d/10-flannel.conflist", f.cniConfFile);
    assertEquals("/var/lib/cni", f.cniStateDir);
  }

  @Test
  void theEnvironmentCannotTurnOnARemoval() {
    CleanupFlags f = new CleanupFlags();
    FlagParser.parse(List.of(), Map.of("FLANNELD_DRY_RUN", "false", "FLANNELD_CNI", "true",
        "FLANNELD_RELEASE_LEASE", "true", "FLANNELD_CNI_CONF_FILE", "/etc/passwd"), f);
    assertFalse(f.cni || f.releaseLease);
    assertEquals("/etc/cni/net.d/10-flannel.conflist", f.cniConfFile);
  }

  @Test
  void usageErrorsAreOneLineNamingTheSubcommand() {
    for (String[] argv : new String[][] {{"--bogus"}, {"--dry-run=maybe"}, {"--iptables-resync=0"},
        {"--etcd-endpoints="}}) {
      var exit = assertInstanceOf(CommandLineOutcome.Exit.class, parse(Map.of(), argv));
      assertEquals(2, exit.status(), String.join(" ", argv));
      assertEquals("", exit.stdout());
      List<String> lines = exit.stderr().lines().toList();
      assertEquals(1, lines.size(), exit.stderr());
      assertTrue(lines.get(0).startsWith("flanneld cleanup: ")
          && lines.get(0).endsWith(" ('flanneld cleanup --help' lists the flags)"), lines.get(0));
    }
    var exit = assertInstanceOf(CommandLineOutcome.Exit.class, parse(Map.of(), "--bogus"));
    assertEquals("flanneld cleanup: Unknown option: '--bogus' ('flanneld cleanup --help' lists the flags)\n",
        exit.stderr());
  }

  @Test
  void theDaemonsOwnUsageErrorIsUnchanged() {
    var exit = assertInstanceOf(CommandLineOutcome.Exit.class, FlagParser.parse(List.of("--dry-run"), Map.of()));
    assertEquals("flanneld: Unknown option: '--dry-run'\nRun 'flanneld --help' for the list of flags.\n",
        exit.stderr());
  }

  @Test
  void helpNamesTheSubcommandItsFlagsAndTheDaemons() {
    var exit = assertInstanceOf(CommandLineOutcome.Exit.class, parse(Map.of(), "--help"));
    assertEquals(0, exit.status());
    assertTrue(exit.stdout().startsWith("Usage: flanneld cleanup "), exit.stdout());
    for (String s : List.of("Removes what flanneld", "--dry-run", "--cni ", "--release-lease", "--cni-conf-file",
        "--etcd-endpoints", "--subnet-file")) {
      assertTrue(exit.stdout().contains(s), s + " in\n" + exit.stdout());
    }
  }

  @Test
  void runReportsABadFlagWithStatus2BeforeAskingForPrivileges() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = Cleanup.run(List.of("--cni=perhaps"), Map.of(), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    assertEquals(2, status);
    assertEquals("", out.toString(StandardCharsets.UTF_8));
    assertEquals(1, err.toString(StandardCharsets.UTF_8).lines().count(), err.toString(StandardCharsets.UTF_8));
  }
}
