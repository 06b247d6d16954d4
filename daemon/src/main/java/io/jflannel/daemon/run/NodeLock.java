package io.jflannel.daemon.run;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one-flanneld-per-node lock: an OS file lock on {@value #FILE_NAME} next to subnet.env
 * ({@code /run/flannel/flanneld.lock} by default), held for the daemon's life, the file holding
 * the holder's PID. A second flanneld on the node, which would take a second lease and fight
 * the first over the device's address, finds the lock taken and stops before it touches the
 * store or the kernel (decision 0970).
 *
 * <p>The kernel drops the lock when the process ends, however it ends, so a crashed daemon
 * never blocks the next one. The file itself stays: deleting it on exit would let a third
 * process lock a fresh file while a second still waits on the old one.
 */
public final class NodeLock implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(NodeLock.class);
  static final String FILE_NAME = "flanneld.lock";

  private final Path path;
  private final FileChannel channel;
  private final FileLock lock;

  private NodeLock(Path path, FileChannel channel, FileLock lock) {
    this.path = path;
    this.channel = channel;
    this.lock = lock;
  }

  /** The lock file for {@code subnetFile}: {@value #FILE_NAME} in the same directory. */
  public static Path pathFor(Path subnetFile) {
    Path dir = subnetFile.toAbsolutePath().normalize().getParent();
    return dir.resolve(FILE_NAME);
  }

  /**
   * Takes the lock and writes our PID into the file.
   *
   * <p>Only another holder stops the daemon. A lock file that cannot be created or locked (a
   * read-only or full file system, a planted symlink) is logged and the daemon runs without the
   * lock: what it can report then, the write of subnet.env in the same directory reports better
   * ("cannot write /run/flannel/subnet.env: ..."). A PID that cannot be written (a full disk)
   * leaves the lock held; a second daemon then names the holder "pid unknown".
   *
   * @throws FatalException naming the holder's PID when another process holds the lock
   */
  public static NodeLock acquire(Path file) throws FatalException {
    FileChannel ch = null;
    FileLock l;
    try {
      Path dir = file.getParent();
      if (!Files.isDirectory(dir)) {
        Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(
            PosixFilePermissions.fromString("rwxr-xr-x")));
      }
      // Never through a symlink: a root daemon truncating whatever a planted link points at.
      ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE,
          LinkOption.NOFOLLOW_LINKS);
      try {
        l = ch.tryLock();
      } catch (OverlappingFileLockException e) {
        l = null; // this JVM holds it already (a second daemon in one process: tests)
      }
      if (l == null) {
        String holder = holderPid(ch);
        ch.close();
        throw new FatalException("another flanneld (pid " + holder + ") is running on this node (lock " + file + ")");
      }
    } catch (IOException e) {
      closeQuietly(ch);
      LOG.warn("cannot take the node lock {}: {}; running without it", file, e.toString());
      return new NodeLock(file, null, null);
    }
    try {
      ch.truncate(0);
      ByteBuffer pid = ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII));
      while (pid.hasRemaining()) {
        ch.write(pid, pid.position());
      }
      ch.force(false);
    } catch (IOException e) {
      LOG.warn("holding the node lock {} but cannot write our PID into it: {}", file, e.toString());
    }
    return new NodeLock(file, ch, l);
  }

  private static void closeQuietly(FileChannel ch) {
    if (ch != null) {
      try {
        ch.close();
      } catch (IOException ignored) {
        // the failure to lock is the one worth reporting
      }
    }
  }

  /**
   * The PID the holder wrote. It writes it right after locking, so an empty file is read again a
   * few times before giving up with "unknown".
   */
  private static String holderPid(FileChannel ch) throws IOException {
    for (int attempt = 0; attempt < 20; attempt++) {
      ByteBuffer buf = ByteBuffer.allocate(32);
      int n = ch.read(buf, 0);
      String text = n <= 0 ? "" : new String(buf.array(), 0, n, StandardCharsets.US_ASCII).strip();
      if (text.matches("[0-9]{1,10}")) {
        return text;
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    return "unknown";
  }

  public Path path() {
    return path;
  }

  /** Whether the lock is held (false when it could not be taken for another reason than a holder). */
  public boolean held() {
    return lock != null;
  }

  /** Releases the lock (the file stays, see the class comment). */
  /**
   * The PID of the process holding the lock at {@code file} ("unknown" when it wrote none), or
   * empty when nobody holds it. Neither creates nor changes the file ({@code flanneld cleanup
   * --dry-run} asks this).
   */
  public static java.util.Optional<String> holder(Path file) throws IOException {
    if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
      return java.util.Optional.empty();
    }
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE,
        LinkOption.NOFOLLOW_LINKS)) {
      FileLock l;
      try {
        l = ch.tryLock();
      } catch (OverlappingFileLockException e) {
        return java.util.Optional.of(String.valueOf(ProcessHandle.current().pid()));
      }
      if (l == null) {
        return java.util.Optional.of(holderPid(ch));
      }
      l.release();
      return java.util.Optional.empty();
    }
  }

  @Override
  public void close() throws IOException {
    if (lock == null) {
      return;
    }
    try {
      lock.release();
    } finally {
      channel.close();
    }
  }
}
