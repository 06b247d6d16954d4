package io.jflannel.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class LabCommandTest {
  @Test
  void defaultsAreThreeNodesVxlanEtcd() {
    Lab lab = new Lab();
    new CommandLine(lab).parseArgs();
    assertEquals(3, lab.nodes);
    assertEquals(LabBackend.VXLAN, lab.backend);
    assertEquals(LabStoreKind.ETCD, lab.store);
    assertFalse(lab.keep);
    assertEquals(Path.of("daemon/target/flanneld"), lab.flanneld);
    assertEquals(null, lab.image, "daemons run directly unless --image is given");
  }

  @Test
  void imageNamesTheImageEveryDaemonRunsFrom() {
    Lab lab = new Lab();
    new CommandLine(lab).parseArgs("--image", "4719932c0238");
    assertEquals("4719932c0238", lab.image);
  }

  @Test
  void parsesEveryOption() {
    Lab lab = new Lab();
    new CommandLine(lab).parseArgs("--nodes", "5", "--backend", "host-gw", "--store", "kube",
        "--keep", "--flanneld", "/opt/flanneld");
    assertEquals(5, lab.nodes);
    assertEquals(LabBackend.HOST_GW, lab.backend);
    assertEquals(LabStoreKind.KUBE, lab.store);
    assertTrue(lab.keep);
  }

  @Test
  void badBackendNamesTheValueAndTheChoices() {
    StringWriter err = new StringWriter();
    int code = new CommandLine(new Lab()).setErr(new PrintWriter(err)).execute("--backend", "ipip");
    assertEquals(2, code);
    assertTrue(err.toString().contains("ipip") && err.toString().contains("host-gw") && err.toString().contains("udp"), err.toString());
  }

  @Test
  void downIsASubcommand() {
    CommandLine.ParseResult r = new CommandLine(new Lab()).parseArgs("down");
    assertTrue(r.hasSubcommand());
    assertEquals("down", r.subcommand().commandSpec().name());
  }
}
