package io.jflannel.daemon.runtime;

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
 * The JVM tuning lives in this package and nowhere else (docs/decisions/0910): no other
 * production source collects the heap, trims the C heap or knows the AppCDS training, and only
 * the wiring (the entry point's package {@code io.jflannel.daemon} and the start-up sequence's
 * {@code io.jflannel.daemon.run}) imports this package. The domain code never meets it.
 */
class TuningStaysInItsPackageTest {
  private static final String PACKAGE_DIR = "io/jflannel/daemon/runtime/";

  /** What only this package may do, each with what it catches. */
  static final List<Pattern> TUNING = List.of(
      Pattern.compile("\\bSystem\\s*\\.\\s*gc\\s*\\("),              // a full collection
      Pattern.compile("\\bmalloc_trim\\b"),                          // the C-heap trim
      Pattern.compile("jflannel\\.cds\\.|ArchiveClassesAtExit"));     // the AppCDS training

  private static final Pattern IMPORT = Pattern.compile("^import\\s+(static\\s+)?io\\.jflannel\\.daemon\\.runtime\\.",
      Pattern.MULTILINE);

  /** The packages that wire the daemon together and may call into this one. */
  private static final List<String> WIRING = List.of("io/jflannel/daemon/", "io/jflannel/daemon/run/");

  static List<String> tuning(String source) {
    List<String> out = new ArrayList<>();
    String[] lines = source.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      for (Pattern p : TUNING) {
        if (p.matcher(lines[i]).find()) {
          out.add((i + 1) + ": " + lines[i].strip());
        }
      }
    }
    return out;
  }

  @Test
  void detectorCatchesTheTuningForms() {
    assertEquals(1, tuning("    System.gc();").size());
    assertEquals(1, tuning("int malloc_trim(@size_t long pad);").size());
    assertEquals(1, tuning("String p = System.getProperty(\"jflannel.cds.training\");").size());
    assertEquals(1, tuning("opts = \"-XX:ArchiveClassesAtExit=x.jsa\";").size());
    assertEquals(List.of(), tuning("// gc logs go to stderr; System.gcCount is not a call"));
    assertTrue(IMPORT.matcher("package x;\nimport io.jflannel.daemon.runtime.HeapCompaction;\n").find());
    assertTrue(!IMPORT.matcher("import io.jflannel.daemon.run.Daemon;\n").find());
  }

  @Test
  void onlyThisPackageTunesTheJvmAndOnlyTheWiringImportsIt() throws IOException {
    Path root = Path.of("..").toAbsolutePath().normalize();
    assertTrue(Files.isRegularFile(root.resolve("pom.xml")), "repository root not found from " + root);
    List<Path> mains = new ArrayList<>();
    try (Stream<Path> modules = Files.list(root)) {
      modules.filter(m -> Files.isDirectory(m.resolve("src/main/java"))).forEach(m -> mains.add(m.resolve("src/main/java")));
    }
    assertTrue(mains.size() >= 6, "expected every module, found " + mains);
    List<String> found = new ArrayList<>();
    int files = 0;
    int inPackage = 0;
    for (Path main : mains) {
      try (Stream<Path> walk = Files.walk(main)) {
        for (Path f : walk.filter(p -> p.toString().endsWith(".java")).toList()) {
          files++;
          String rel = main.relativize(f).toString();
          String dir = rel.substring(0, rel.lastIndexOf('/') + 1);
          if (dir.equals(PACKAGE_DIR)) {
            inPackage++;
            continue;
          }
          String source;
          try {
            source = Files.readString(f, StandardCharsets.UTF_8);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
          for (String v : tuning(source)) {
            found.add(root.relativize(f) + ":" + v);
          }
          if (!WIRING.contains(dir) && IMPORT.matcher(source).find()) {
            found.add(root.relativize(f) + ": imports " + PACKAGE_DIR);
          }
        }
      }
    }
    assertTrue(files > 100, "scanned only " + files + " files");
    assertTrue(inPackage >= 4, "found only " + inPackage + " files in " + PACKAGE_DIR);
    assertEquals(List.of(), found, "JVM tuning outside " + PACKAGE_DIR);
  }
}
