package io.jflannel.subnet;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * subnet.env ({@code /run/flannel/subnet.env} by default): written atomically for the CNI
 * plugin, read back at start-up to learn the previous network and subnet.
 *
 * <p>A write goes to a temporary file in the same directory, is fsynced, given mode 0644
 * and renamed over the target, so a reader sees the old file or the new one, never a part;
 * a failed write leaves the old file as it was.
 */
public final class SubnetFile {
  private static final Set<PosixFilePermission> MODE_0644 = PosixFilePermissions.fromString("rw-r--r--");
  private static final Set<PosixFilePermission> MODE_0755 = PosixFilePermissions.fromString("rwxr-xr-x");
  /** A subnet.env is a few hundred bytes; anything much larger is not one. */
  static final int MAX_BYTES = 64 * 1024;

  /** A test seam: runs after the temporary file is complete and before the rename. */
  interface BeforeRename {
    void run(Path temp) throws IOException;
  }

  private final Path path;
  private final BeforeRename beforeRename;

  /** The file at {@code path}. */
  public SubnetFile(Path path) {
    this(path, temp -> {});
  }

  SubnetFile(Path path, BeforeRename beforeRename) {
    this.path = path.toAbsolutePath().normalize();
    this.beforeRename = beforeRename;
  }

  public Path path() {
    return path;
  }

  /**
   * The exact file content: FLANNEL_NETWORK, FLANNEL_SUBNET (IPv4 only when present),
   * FLANNEL_IPV6_NETWORK, FLANNEL_IPV6_SUBNET (only when IPv6 is enabled), FLANNEL_MTU,
   * FLANNEL_IPMASQ, one per line.
   */
  public static String render(SubnetEnv env) {
    StringBuilder sb = new StringBuilder();
    if (env.network() != null) {
      sb.append("FLANNEL_NETWORK=").append(env.network()).append('\n');
    }
    if (env.subnet() != null) {
      sb.append("FLANNEL_SUBNET=").append(env.subnet().firstHost()).append('\n');
    }
    if (env.ipv6Network() != null) {
      sb.append("FLANNEL_IPV6_NETWORK=").append(env.ipv6Network()).append('\n');
    }
    if (env.ipv6Subnet() != null) {
      sb.append("FLANNEL_IPV6_SUBNET=").append(env.ipv6Subnet().firstHost()).append('\n');
    }
    sb.append("FLANNEL_MTU=").append(env.mtu()).append('\n');
    sb.append("FLANNEL_IPMASQ=").append(env.ipMasq()).append('\n');
    return sb.toString();
  }

  /**
   * Replaces the file atomically with {@code env}. The directory is created (mode 0755) when
   * missing, as upstream does.
   *
   * @throws IOException naming the path; the previous file, if any, is left intact
   */
  public void write(SubnetEnv env) throws IOException {
    byte[] bytes = render(env).getBytes(StandardCharsets.US_ASCII);
    Path dir = path.getParent();
    Path temp = null;
    try {
      if (!Files.isDirectory(dir)) {
        Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(MODE_0755));
      }
      temp = Files.createTempFile(dir, "." + path.getFileName() + ".", ".tmp");
      try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        ch.force(true);
      }
      Files.setPosixFilePermissions(temp, MODE_0644);
      beforeRename.run(temp);
      try {
        Files.move(temp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        throw new IOException("atomic rename not supported in " + dir, e);
      }
      temp = null;
      syncDirectory(dir);
    } catch (IOException e) {
      throw new IOException("cannot write " + path + ": " + describe(e), e);
    } finally {
      if (temp != null) {
        try {
          Files.deleteIfExists(temp);
        } catch (IOException ignored) {
          // the write error above is the one worth reporting
        }
      }
    }
  }

  /**
   * Reads the previous content. The file may be anything an operator or an intruder left at
   * the path (a symlink to another file, a device), so no message ever quotes what it holds:
   * errors name the file, the line and the variable only.
   *
   * @return empty when the file does not exist ("no previous")
   * @throws IOException naming the file and line when it is malformed or unreadable
   */
  public Optional<SubnetEnv> read() throws IOException {
    String text;
    try {
      text = readText();
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new IOException("cannot read " + path + ": " + describe(e), e);
    }
    List<String> lines = text.lines().toList();
    IpNet network = null;
    IpNet subnet = null;
    IpNet network6 = null;
    IpNet subnet6 = null;
    int mtu = 0;
    boolean masq = false;
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      String where = path + ":" + (i + 1);
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      int eq = line.indexOf('=');
      if (eq <= 0) {
        throw new IOException(where + ": expected KEY=VALUE");
      }
      String key = line.substring(0, eq).strip();
      String value = unquote(line.substring(eq + 1).strip());
      switch (key) {
        case "FLANNEL_NETWORK" -> network = cidr(where, key, value, true).network();
        case "FLANNEL_SUBNET" -> subnet = cidr(where, key, value, true);
        case "FLANNEL_IPV6_NETWORK" -> network6 = cidr(where, key, value, false).network();
        case "FLANNEL_IPV6_SUBNET" -> subnet6 = cidr(where, key, value, false);
        case "FLANNEL_MTU" -> mtu = mtu(where, key, value);
        case "FLANNEL_IPMASQ" -> masq = bool(where, key, value);
        default -> { } // other variables are not ours to judge
      }
    }
    return Optional.of(new SubnetEnv(network, subnet, network6, subnet6, mtu, masq));
  }

  /**
   * The file as UTF-8 text, refusing what cannot be a subnet.env: not a regular file (a
   * directory, a device such as /dev/zero behind a symlink), larger than {@value #MAX_BYTES}
   * bytes, or not UTF-8.
   */
  private String readText() throws IOException {
    if (!Files.exists(path)) {
      throw new NoSuchFileException(path.toString());
    }
    if (!Files.isRegularFile(path)) {
      throw new IOException("not a regular file"); // checked before opening: a FIFO would block
    }
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      ByteBuffer buf = ByteBuffer.allocate(MAX_BYTES + 1);
      while (buf.hasRemaining() && ch.read(buf) >= 0) {
        // until the end of the file or one byte past the limit
      }
      if (!buf.hasRemaining()) {
        throw new IOException("larger than " + MAX_BYTES + " bytes");
      }
      buf.flip();
      try {
        return StandardCharsets.UTF_8.newDecoder().decode(buf).toString();
      } catch (CharacterCodingException e) {
        throw new IOException("not UTF-8 text", e);
      }
    }
  }

  private static IpNet cidr(String where, String key, String value, boolean ipv4) throws IOException {
    IpNet net;
    try {
      net = IpNet.parse(value);
    } catch (IllegalArgumentException e) {
      throw new IOException(where + ": " + key + " is not a CIDR", e);
    }
    if (value.indexOf('/') < 0 || net.isIpv4() != ipv4) {
      throw new IOException(where + ": " + key + " is not an " + (ipv4 ? "IPv4" : "IPv6")
          + " CIDR (ADDRESS/PREFIX)");
    }
    return net;
  }

  private static int mtu(String where, String key, String value) throws IOException {
    try {
      int v = Integer.parseInt(value);
      if (v >= 0) {
        return v;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IOException(where + ": " + key + " is not a non-negative integer");
  }

  private static boolean bool(String where, String key, String value) throws IOException {
    // Go's strconv.ParseBool spellings: the file may have been written by upstream flanneld
    return switch (value.toLowerCase(Locale.ROOT)) {
      case "true", "1", "t" -> true;
      case "false", "0", "f" -> false;
      default -> throw new IOException(where + ": " + key + " is not true or false");
    };
  }

  private static String unquote(String v) {
    if (v.length() >= 2 && (v.startsWith("\"") && v.endsWith("\"") || v.startsWith("'") && v.endsWith("'"))) {
      return v.substring(1, v.length() - 1);
    }
    return v;
  }

  private static void syncDirectory(Path dir) throws IOException {
    // makes the rename itself durable; Linux allows fsync on a directory opened read-only
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }

  private static String describe(IOException e) {
    String m = e.getMessage();
    String kind = e.getClass().getSimpleName();
    if (m == null) {
      return kind;
    }
    // A plain IOException's message is the errno text ("No space left on device"); subclasses
    // (AccessDeniedException: the path) need their kind to make sense.
    return e.getClass() == IOException.class ? m : kind + " " + m;
  }
}
