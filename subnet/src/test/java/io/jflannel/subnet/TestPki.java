package io.jflannel.subnet;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Throw-away certificates for TLS tests, made with the openssl command in one directory. */
public final class TestPki {
  private final Path dir;

  public TestPki(Path dir) {
    this.dir = dir;
  }

  /** Skips the test without {@code cmd} on the machine; under {@code CI=true} fails it instead. */
  public static void requireCommand(String cmd) {
    boolean present = List.of("/usr/bin/", "/bin/", "/usr/local/bin/").stream()
        .anyMatch(d -> Files.isExecutable(Path.of(d + cmd)));
    String why = cmd + " is not installed";
    if ("true".equalsIgnoreCase(System.getenv("CI"))) {
      if (!present) {
        fail(why);
      }
    } else {
      assumeTrue(present, why);
    }
  }

  public void openssl(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("openssl"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException("openssl " + String.join(" ", args) + " failed: " + out);
    }
  }

  /** A self-signed CA: {@code name.key}, {@code name.crt}. */
  public void ca(String name) throws Exception {
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", name + ".key", "-out", name + ".crt",
        "-days", "1", "-subj", "/CN=" + name);
  }

  /** A key (PKCS#8) and a certificate signed by {@code ca}, for 127.0.0.1. */
  public void leaf(String name, String ca, String usage) throws Exception {
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", name + ".key", "-out", name + ".csr",
        "-subj", "/CN=" + name);
    Files.writeString(dir.resolve(name + ".ext"),
        "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=" + usage + "\n");
    openssl("x509", "-req", "-in", name + ".csr", "-CA", ca + ".crt", "-CAkey", ca + ".key",
        "-CAcreateserial", "-out", name + ".crt", "-days", "1", "-extfile", name + ".ext");
  }

  /** The path of file {@code name} in the directory. */
  public String f(String name) {
    return dir.resolve(name).toString();
  }
}
