package io.jflannel.backend.extension;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * A test command, {@code cmd.sh OUT LABEL [ARGS...]}: appends {@code LABEL SUBNET} to
 * {@code OUT/runs}, writes its environment, stdin and arguments to {@code OUT/LABEL-KEY.*}
 * (KEY = SUBNET with {@code _} for {@code /}); fails when {@code OUT/fail-KEY} exists and hangs
 * (with a child, its PID in {@code OUT/child-KEY}) when {@code OUT/hang-KEY} exists.
 */
final class Scripts {
  private Scripts() {
  }

  static final String CMD = """
      #!/bin/sh
      out="$1"; label="$2"; shift 2
      key=$(printf %s "$SUBNET" | tr / _)
      echo "$label $SUBNET" >> "$out/runs"
      if [ -e "$out/fail-$key" ]; then echo "some output"; echo "boom for $SUBNET" >&2; exit 3; fi
      if [ -e "$out/hang-$key" ]; then sleep 600 & echo $! > "$out/child-$key"; sleep 600; fi
      env > "$out/$label-$key.env"
      cat > "$out/$label-$key.stdin"
      printf '%s\\n' "$@" > "$out/$label-$key.args"
      """;

  static Path write(Path dir, String name, String body) throws IOException {
    Path p = dir.resolve(name);
    Files.writeString(p, body);
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwx------"));
    return p;
  }

  static String key(String subnet) {
    return subnet.replace('/', '_');
  }

  /** Whether a PID is gone (or a zombie waiting to be reaped: killed all the same). */
  static boolean dead(long pid) throws IOException {
    Path stat = Path.of("/proc", Long.toString(pid), "stat");
    if (!Files.exists(stat)) {
      return true;
    }
    try {
      String s = Files.readString(stat);
      return s.substring(s.lastIndexOf(')') + 2).startsWith("Z");
    } catch (IOException e) {
      return true; // went away while we looked
    }
  }
}
