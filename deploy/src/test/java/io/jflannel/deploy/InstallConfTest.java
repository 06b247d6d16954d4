package io.jflannel.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/image/install-conf, the image's {@code /opt/bin/install-conf} (the install-cni step of
 * upstream's manifest), run on this machine's shell and coreutils, which are the image's own
 * (Debian's dash and GNU coreutils). UpstreamManifestInOurImageIT runs it inside the image.
 */
class InstallConfTest {
  private static final String OLD = "{\"name\": \"old\"}\n";
  private static final String NEW = "{\"name\": \"cbr0\", \"cniVersion\": \"0.3.1\", \"plugins\": []}\n";

  @TempDir Path tmp;
  private Path src;
  private Path netD;
  private Path dest;

  @BeforeEach
  void files() throws IOException {
    src = Files.writeString(Files.createDirectories(tmp.resolve("cfg")).resolve("cni-conf.json"), NEW);
    netD = Files.createDirectories(tmp.resolve("net.d"));
    dest = netD.resolve("10-flannel.conflist");
  }

  @Test
  void replacesTheDestinationByRenameSoReadersNeverSeeAPartialFile() throws Exception {
    Files.writeString(dest, OLD);
    // A second name for the old file: an in-place rewrite (what `cp -f` does) would change what
    // it shows; a rename leaves the old inode, and so this name, untouched.
    Path witness = Files.createLink(tmp.resolve("witness"), dest);
    run(src.toString(), dest.toString()).requireSuccess();
    assertEquals(NEW, Files.readString(dest));
    assertEquals(OLD, Files.readString(witness), "the old file was rewritten in place, not replaced");
    assertNotEquals(fileKey(witness), fileKey(dest));
    assertEquals(List.of(dest), entries(netD), "no temporary file is left next to the config");
  }

  @Test
  void createsTheDestinationWithTheSourcesModeThroughKubeletsConfigMapSymlinks() throws Exception {
    // A configMap volume: cni-conf.json -> ..data/cni-conf.json, ..data -> ..2026_12_07_timestamp
    Path volume = Files.createDirectories(tmp.resolve("volume"));
    Path payload = Files.createDirectories(volume.resolve("..2026_12_07_20_00_00.000000001"));
    Files.writeString(payload.resolve("cni-conf.json"), NEW);
    Files.setPosixFilePermissions(payload.resolve("cni-conf.json"), PosixFilePermissions.fromString("rw-r-----"));
    Files.createSymbolicLink(volume.resolve("..data"), payload.getFileName());
    Path link = Files.createSymbolicLink(volume.resolve("cni-conf.json"), Path.of("..data/cni-conf.json"));
    run(link.toString(), dest.toString()).requireSuccess();
    assertTrue(Files.isRegularFile(dest, LinkOption.NOFOLLOW_LINKS), "a file, not a link into the volume");
    assertEquals(NEW, Files.readString(dest));
    assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(dest)));
  }

  @Test
  void removesATemporaryFileAnInterruptedRunLeftUnderTheFixedName() throws Exception {
    Files.writeString(netD.resolve(".10-flannel.conflist.tmp"), "half a fi");
    run(src.toString(), dest.toString()).requireSuccess();
    assertEquals(List.of(dest), entries(netD));
  }

  @Test
  void anythingButTwoArgumentsIsAUsageErrorWithExitOne() throws Exception {
    for (List<String> args : List.of(List.<String>of(), List.of(src.toString()),
        List.of(src.toString(), dest.toString(), "extra"))) {
      ProcessRun r = run(args.toArray(String[]::new));
      assertEquals(1, r.exitCode(), args + ": " + r.output());
      assertEquals(List.of("usage: " + RepoFiles.image("install-conf") + " <src> <dest>"), r.output().lines().toList());
      assertFalse(Files.exists(dest));
    }
  }

  @Test
  void aMissingSourceFailsWithOneLineAndLeavesTheOldConfigAndNoTemporaryFile() throws Exception {
    Files.writeString(dest, OLD);
    Object before = fileKey(dest);
    Path missing = tmp.resolve("cfg/none.json");
    ProcessRun r = run(missing.toString(), dest.toString());
    assertEquals(1, r.exitCode(), r.output());
    List<String> lines = r.output().lines().toList();
    assertEquals(1, lines.size(), r.output());
    assertTrue(lines.get(0).startsWith("error installing \"" + missing + "\": "), r.output());
    assertEquals(OLD, Files.readString(dest));
    assertEquals(before, fileKey(dest));
    assertEquals(List.of(dest), entries(netD));
  }

  @Test
  void aMissingDestinationFolderFailsNamingIt() throws Exception {
    Path nowhere = tmp.resolve("no-such-dir/10-flannel.conflist");
    ProcessRun r = run(src.toString(), nowhere.toString());
    assertEquals(1, r.exitCode(), r.output());
    assertEquals(List.of("error installing \"" + src + "\": cannot create a temporary file in \""
        + nowhere.getParent() + "\""), r.output().lines().toList());
  }

  @Test
  void aDirectoryInTheDestinationsPlaceIsLeftAlone() throws Exception {
    Files.createDirectories(dest.resolve("inside"));
    ProcessRun r = run(src.toString(), dest.toString());
    assertEquals(1, r.exitCode(), r.output());
    assertTrue(r.output().startsWith("error installing \"" + src + "\": cannot replace"), r.output());
    assertTrue(Files.isDirectory(dest.resolve("inside")));
    assertEquals(List.of(dest), entries(netD));
  }

  private ProcessRun run(String... args) throws Exception {
    List<String> command = new java.util.ArrayList<>(List.of(RepoFiles.image("install-conf").toString()));
    command.addAll(List.of(args));
    return ProcessRun.run(tmp, Map.of(), 30, command);
  }

  private static Object fileKey(Path p) throws IOException {
    return Files.readAttributes(p, BasicFileAttributes.class).fileKey();
  }

  private static List<Path> entries(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.sorted().toList();
    }
  }
}
