package io.jflannel.daemon.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CheckCommandLineTest {

  private static CheckOptions run(List<String> argv, Map<String, String> env) {
    return assertInstanceOf(CheckCommandLine.Run.class, CheckCommandLine.parse(argv, env)).options();
  }

  private static CheckCommandLine.Exit exit(String... argv) {
    return assertInstanceOf(CheckCommandLine.Exit.class, CheckCommandLine.parse(List.of(argv), Map.of()));
  }

  @Test
  void takesItsOwnFlagsAndHandsTheRestToTheDaemonParser() {
    CheckOptions o = run(List.of("--output", "json", "-probe", "--cni-conf=/x/y.conflist", "-ip-masq",
        "--etcd-prefix=/p"), Map.of("FLANNELD_SUBNET_FILE", "/tmp/s.env"));
    assertTrue(o.json());
    assertTrue(o.probe());
    assertEquals(Path.of("/x/y.conflist"), o.cniConf());
    assertTrue(o.flags().rules().ipMasq());
    assertEquals("/p", o.flags().etcd().prefix());
    assertEquals(Path.of("/tmp/s.env"), o.flags().subnetFile(), "the daemon's environment applies");
  }

  @Test
  void defaults() {
    CheckOptions o = run(List.of(), Map.of());
    assertFalse(o.json());
    assertFalse(o.probe());
    assertEquals(CheckOptions.DEFAULT_CNI_CONF, o.cniConf());
  }

  @Test
  void usageErrorsExit2WithOneLineNamingTheSubcommand() {
    assertEquals("flanneld check: invalid value for --output: 'yaml' (text or json)\n"
        + "Run 'flanneld check --help' for its flags.\n", exit("--output=yaml").stderr());
    assertEquals(2, exit("--output=yaml").status());
    assertEquals(2, exit("--probe=maybe").status());
    assertEquals(2, exit("--cni-conf").status());
    CheckCommandLine.Exit daemonFlag = exit("--healthz-port=99999");
    assertEquals(2, daemonFlag.status());
    assertTrue(daemonFlag.stderr().startsWith("flanneld check: invalid value for --healthz-port: 99999"),
        daemonFlag.stderr());
  }

  @Test
  void helpPrintsTheSubcommandsUsage() {
    CheckCommandLine.Exit help = exit("--help");
    assertEquals(0, help.status());
    assertTrue(help.stdout().startsWith("Usage: flanneld check "), help.stdout());
  }
}
