package io.jflannel.subnet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SubnetFileTest {
  @TempDir Path dir;

  private static final SubnetEnv V4 = new SubnetEnv(IpNet.parse("10.244.0.0/16"), IpNet.parse("10.244.1.0/24"),
      null, null, 1450, true);
  private static final SubnetEnv DUAL = new SubnetEnv(IpNet.parse("10.244.0.0/16"), IpNet.parse("10.244.1.0/24"),
      IpNet.parse("fc00::/48"), IpNet.parse("fc00:0:0:1::/64"), 1430, false);

  @Test
  void rendersUpstreamOrderIpv4() {
    assertEquals("FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.1.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n",
        SubnetFile.render(V4));
  }

  @Test
  void rendersUpstreamOrderDualStack() {
    assertEquals("FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.1.1/24\n"
        + "FLANNEL_IPV6_NETWORK=fc00::/48\nFLANNEL_IPV6_SUBNET=fc00:0:0:1::1/64\n"
        + "FLANNEL_MTU=1430\nFLANNEL_IPMASQ=false\n", SubnetFile.render(DUAL));
  }

  @Test
  void rendersIpv6Only() {
    SubnetEnv v6 = new SubnetEnv(null, null, IpNet.parse("fc00::/48"), IpNet.parse("fc00:0:0:5::/64"), 1450, true);
    assertEquals("FLANNEL_IPV6_NETWORK=fc00::/48\nFLANNEL_IPV6_SUBNET=fc00:0:0:5::1/64\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n",
        SubnetFile.render(v6));
  }

  @Test
  void subnetIsHeldInNetworkForm() {
    SubnetEnv e = new SubnetEnv(IpNet.parse("10.244.0.0/16"), IpNet.parse("10.244.1.1/24"), null, null, 1450, true);
    assertEquals(IpNet.parse("10.244.1.0/24"), e.subnet());
    assertTrue(SubnetFile.render(e).contains("FLANNEL_SUBNET=10.244.1.1/24\n"));
  }

  @Test
  void writesBytesExactlyWithMode0644AndNoLeftovers() throws Exception {
    Path p = dir.resolve("subnet.env");
    new SubnetFile(p).write(V4);
    assertEquals(SubnetFile.render(V4), Files.readString(p, StandardCharsets.US_ASCII));
    assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(p)));
    assertEquals(List.of(p), list(dir));
  }

  @Test
  void overwritesPreviousFile() throws Exception {
    Path p = dir.resolve("subnet.env");
    Files.writeString(p, "OLD\n");
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-------"));
    new SubnetFile(p).write(DUAL);
    assertEquals(SubnetFile.render(DUAL), Files.readString(p));
    assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(p)));
  }

  @Test
  void createsMissingDirectory() throws Exception {
    Path p = dir.resolve("run/flannel/subnet.env");
    new SubnetFile(p).write(V4);
    assertEquals(SubnetFile.render(V4), Files.readString(p));
  }

  @Test
  void failureBeforeRenameKeepsPreviousFileAndNamesPath() throws Exception {
    Path p = dir.resolve("subnet.env");
    new SubnetFile(p).write(V4);
    SubnetFile failing = new SubnetFile(p, temp -> {
      throw new IOException("No space left on device");
    });
    IOException e = assertThrows(IOException.class, () -> failing.write(DUAL));
    assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("No space left on device"), e.getMessage());
    assertEquals(SubnetFile.render(V4), Files.readString(p));
    assertEquals(List.of(p), list(dir));
  }

  @Test
  void failedRenameNamesPathAndLeavesNoTempFile() throws Exception {
    Path p = dir.resolve("subnet.env");
    Files.createDirectory(p);
    Files.writeString(p.resolve("occupied"), "x");
    IOException e = assertThrows(IOException.class, () -> new SubnetFile(p).write(V4));
    assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
    assertEquals(List.of(p), list(dir));
    assertTrue(Files.exists(p.resolve("occupied")));
  }

  @Test
  void unusableDirectoryNamesPath() throws Exception {
    Path notADir = dir.resolve("file");
    Files.writeString(notADir, "x");
    Path p = notADir.resolve("subnet.env");
    IOException e = assertThrows(IOException.class, () -> new SubnetFile(p).write(V4));
    assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
  }

  @Test
  void missingFileIsNoPrevious() throws Exception {
    assertEquals(Optional.empty(), new SubnetFile(dir.resolve("absent.env")).read());
  }

  @Test
  void readsBackWhatItWrote() throws Exception {
    Path p = dir.resolve("subnet.env");
    SubnetFile f = new SubnetFile(p);
    f.write(DUAL);
    assertEquals(Optional.of(DUAL), f.read());
    f.write(V4);
    assertEquals(Optional.of(V4), f.read());
  }

  @Test
  void readsUpstreamFileWithExtrasAndQuotes() throws Exception {
    Path p = dir.resolve("subnet.env");
    Files.writeString(p, "# written by flanneld\n\nFLANNEL_NETWORK=10.5.0.0/16\nFLANNEL_SUBNET=\"10.5.52.1/24\"\n"
        + "OTHER=1\nFLANNEL_MTU=1472\nFLANNEL_IPMASQ=false\n");
    SubnetEnv e = new SubnetFile(p).read().orElseThrow();
    assertEquals(IpNet.parse("10.5.0.0/16"), e.network());
    assertEquals(IpNet.parse("10.5.52.0/24"), e.subnet());
    assertEquals(1472, e.mtu());
    assertEquals(false, e.ipMasq());
    assertEquals(null, e.ipv6Subnet());
  }

  @Test
  void malformedFileNamesFileLineAndVariable() throws Exception {
    assertMalformed("FLANNEL_NETWORK=10.5.0.0/16\ngarbage\n", ":2:", "KEY=VALUE");
    assertMalformed("FLANNEL_SUBNET=10.5.52.1\n", ":1:", "FLANNEL_SUBNET", "IPv4 CIDR");
    assertMalformed("FLANNEL_SUBNET=fc00::1/64\n", ":1:", "IPv4");
    assertMalformed("\nFLANNEL_IPV6_SUBNET=10.0.0.1/24\n", ":2:", "IPv6");
    assertMalformed("FLANNEL_MTU=big\n", ":1:", "FLANNEL_MTU", "integer");
    assertMalformed("FLANNEL_MTU=-5\n", ":1:", "FLANNEL_MTU");
    assertMalformed("FLANNEL_MTU=1450\nFLANNEL_IPMASQ=maybe\n", ":2:", "FLANNEL_IPMASQ", "true or false");
    assertMalformed("=x\n", ":1:", "KEY=VALUE");
  }

  /**
   * subnet.env may be a symlink to any file (an intruder's, /etc/shadow): the warning about it
   * names the file, the line and the variable, never a byte of what the file holds.
   */
  @Test
  void errorsNeverQuoteTheFilesContent() throws Exception {
    String secret = "root:$6$s3cr3tHash:19000:0:99999:7:::";
    for (String content : List.of(secret + "\n", "FLANNEL_NETWORK=" + secret + "\n",
        "FLANNEL_SUBNET=" + secret + "/24\n", "FLANNEL_IPV6_NETWORK=" + secret + "\n", "FLANNEL_MTU=" + secret + "\n",
        "FLANNEL_IPMASQ=" + secret + "\n", "FLANNEL_SUBNET=\"" + secret + "\"\n")) {
      Path target = dir.resolve("shadow");
      Files.writeString(target, content);
      Path link = dir.resolve("subnet.env");
      Files.deleteIfExists(link);
      Files.createSymbolicLink(link, target);
      IOException e = assertThrows(IOException.class, () -> new SubnetFile(link).read());
      assertTrue(e.getMessage().contains(link.toString()), e.getMessage());
      for (String piece : List.of("root", "s3cr3t", "19000", "99999")) {
        assertFalse(e.getMessage().contains(piece), () -> "quotes the content: " + e.getMessage());
      }
    }
  }

  @Test
  void aDeviceADirectoryAHugeFileOrBinaryIsRefusedUnread() throws Exception {
    Path link = dir.resolve("subnet.env");
    Files.createSymbolicLink(link, Path.of("/dev/zero"));
    IOException dev = assertThrows(IOException.class, () -> new SubnetFile(link).read());
    assertTrue(dev.getMessage().contains("not a regular file"), dev.getMessage());
    Path sub = Files.createDirectory(dir.resolve("d.env"));
    assertTrue(assertThrows(IOException.class, () -> new SubnetFile(sub).read()).getMessage()
        .contains("not a regular file"));
    Path huge = dir.resolve("huge.env");
    Files.write(huge, new byte[SubnetFile.MAX_BYTES + 1]);
    assertTrue(assertThrows(IOException.class, () -> new SubnetFile(huge).read()).getMessage()
        .contains("larger than"));
    Path binary = dir.resolve("binary.env");
    Files.write(binary, new byte[] {(byte) 0xff, (byte) 0xfe, 'A', '=', '1'});
    assertTrue(assertThrows(IOException.class, () -> new SubnetFile(binary).read()).getMessage()
        .contains("not UTF-8"));
  }

  private void assertMalformed(String content, String... parts) throws Exception {
    Path p = dir.resolve("bad.env");
    Files.writeString(p, content);
    IOException e = assertThrows(IOException.class, () -> new SubnetFile(p).read());
    assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
    for (String part : parts) {
      assertTrue(e.getMessage().contains(part), () -> "expected \"" + part + "\" in " + e.getMessage());
    }
  }

  private static List<Path> list(Path d) throws IOException {
    try (Stream<Path> s = Files.list(d)) {
      return s.sorted().toList();
    }
  }
}
