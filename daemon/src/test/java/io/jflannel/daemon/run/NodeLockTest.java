package io.jflannel.daemon.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The one-flanneld-per-node lock (decision 0970); across processes: RunningDaemonIT. */
class NodeLockTest {
  @TempDir Path dir;

  @Test
  void lockFileSitsNextToSubnetEnvInADirectoryCreatedWhenMissing() throws Exception {
    Path file = NodeLock.pathFor(dir.resolve("run/flannel/subnet.env"));
    assertEquals(dir.resolve("run/flannel/flanneld.lock"), file);
    try (NodeLock l = NodeLock.acquire(file)) {
      assertTrue(l.held());
      assertEquals(ProcessHandle.current().pid() + "\n", Files.readString(file));
    }
  }

  @Test
  void aSecondHolderIsRefusedNamingTheFirstAndGetsItOnceReleased() throws Exception {
    Path file = NodeLock.pathFor(dir.resolve("subnet.env"));
    NodeLock first = NodeLock.acquire(file);
    FatalException e = assertThrows(FatalException.class, () -> NodeLock.acquire(file));
    assertEquals("another flanneld (pid " + ProcessHandle.current().pid() + ") is running on this node (lock "
        + file + ")", e.getMessage());
    first.close();
    NodeLock.acquire(file).close();
  }

  @Test
  void aPlantedSymlinkIsNeitherFollowedNorTruncated() throws Exception {
    Path target = Files.writeString(dir.resolve("precious"), "keep me\n");
    Path file = dir.resolve("flanneld.lock");
    Files.createSymbolicLink(file, target);
    try (NodeLock l = NodeLock.acquire(file)) {
      assertFalse(l.held(), "no lock through a symlink; the daemon runs on and reports what else fails");
    }
    assertEquals("keep me\n", Files.readString(target));
  }
}
