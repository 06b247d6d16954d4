package io.jflannel.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * No production code hands a command line to a shell (docs/robustness.md, "security"): every
 * module's {@code src/main} Java is scanned for shell invocations and for the single-string
 * {@code Runtime.exec} forms, which split on spaces and invite interpolation. Commands are
 * always {@code ProcessBuilder} argument lists.
 */
class NoShellTest {
  /** Each pattern with what it catches. */
  static final List<Pattern> FORBIDDEN = List.of(
      Pattern.compile("\"(/usr)?(/bin/)?(ba|da|z)?sh\"\\s*,\\s*\"-c\""),   // "sh", "-c" / "/bin/bash", "-c"
      Pattern.compile("\"/bin/(ba|da|z)?sh\\b"),                           // any use of a shell binary path
      Pattern.compile("\"(ba|da|z)?sh -c\\b"),                             // "sh -c ..." in one string
      Pattern.compile("Runtime\\s*\\.\\s*getRuntime\\s*\\(\\s*\\)\\s*\\.\\s*exec\\s*\\("),
      Pattern.compile("\\bexec\\s*\\(\\s*\"[^\"]*\\s[^\"]*\"\\s*\\)"));    // exec("cmd with spaces")

  static List<String> violations(String source) {
    List<String> out = new ArrayList<>();
    String[] lines = source.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      for (Pattern p : FORBIDDEN) {
        if (p.matcher(lines[i]).find()) {
          out.add((i + 1) + ": " + lines[i].strip());
        }
      }
    }
    return out;
  }

  @Test
  void detectorCatchesTheForbiddenForms() {
    assertEquals(1, violations("new ProcessBuilder(\"sh\", \"-c\", cmd)").size());
    assertTrue(!violations("List.of(\"/bin/bash\", \"-c\", \"x\")").isEmpty());
    assertTrue(!violations("run(\"bash -c 'ip link'\")").isEmpty());
    assertTrue(!violations("Runtime.getRuntime().exec(line)").isEmpty());
    assertTrue(!violations("Runtime.getRuntime().exec(new String[] {\"ip\"})").isEmpty());
    assertTrue(!violations("p = r.exec(\"ip link show\")").isEmpty());
    assertEquals(List.of(), violations("new ProcessBuilder(List.of(\"ip\", \"-n\", ns, \"link\"))"));
    assertEquals(List.of(), violations("Exec.runIn(ns, \"sysctl\", \"-q\", \"-w\", \"net.ipv4.ip_forward=1\")"));
  }

  @Test
  void noModuleRunsAShell() throws IOException {
    Path root = Path.of("..").toAbsolutePath().normalize();
    assertTrue(Files.isRegularFile(root.resolve("pom.xml")), "repository root not found from " + root);
    List<Path> mains = new ArrayList<>();
    try (Stream<Path> modules = Files.list(root)) {
      modules.filter(m -> Files.isDirectory(m.resolve("src/main/java"))).forEach(m -> mains.add(m.resolve("src/main/java")));
    }
    assertTrue(mains.size() >= 6, "expected every module, found " + mains);
    List<String> found = new ArrayList<>();
    int files = 0;
    for (Path main : mains) {
      try (Stream<Path> walk = Files.walk(main)) {
        for (Path f : walk.filter(p -> p.toString().endsWith(".java")).toList()) {
          files++;
          try {
            for (String v : violations(Files.readString(f, StandardCharsets.UTF_8))) {
              found.add(root.relativize(f) + ":" + v);
            }
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      }
    }
    assertTrue(files > 100, "scanned only " + files + " files");
    assertEquals(List.of(), found, "shell invocations in production code");
  }
}
