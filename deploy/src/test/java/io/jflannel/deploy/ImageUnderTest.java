package io.jflannel.deploy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The image scripts/image.sh built from this checkout (its ID in target/image/image-id), and
 * podman run the way the project runs it (CONTAINERS_CONF = deploy/image/containers.conf
 * unless the environment names another). An image built from other inputs than the
 * checkout's (label io.jflannel.inputs against deploy/image/inputs-digest.sh) counts as
 * missing: skipped locally, a failure under CI.
 */
final class ImageUnderTest {
  private ImageUnderTest() {}

  /** The ID of this checkout's image; skips (fails under CI) when there is none or it is stale. */
  static String require() throws IOException, InterruptedException {
    Prerequisites.require("0".equals(uid()), "root (podman runs the image as root)");
    Prerequisites.require(onPath("podman"), "podman (scripts/install-deps.sh installs it)");
    Path idFile = RepoFiles.root().resolve("target/image/image-id");
    Prerequisites.require(Files.isRegularFile(idFile),
        "the image of this checkout (" + idFile + "): build it with scripts/image.sh or mvn -Pimage");
    String id = Files.readString(idFile).strip();
    ProcessRun label = podman(60, List.of("image", "inspect", "--format",
        "{{index .Labels \"io.jflannel.inputs\"}}", id));
    Prerequisites.require(label.exitCode() == 0, "image " + id + " in podman's storage (" + label.output().strip()
        + "): rebuild it with scripts/image.sh");
    String digest = ProcessRun.run(RepoFiles.root(), Map.of(), 120,
        List.of(RepoFiles.image("inputs-digest.sh").toString(), RepoFiles.root().toString())).requireSuccess()
        .output().strip();
    Prerequisites.require(label.output().strip().equals(digest), "image " + id
        + " built from this checkout's daemon and image files (it was built from others): rebuild it with"
        + " scripts/image.sh --no-build");
    return id;
  }

  /** Runs {@code podman ARGS}; the result holds podman's merged output. */
  static ProcessRun podman(long timeoutSeconds, List<String> args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("podman"));
    command.addAll(args);
    return ProcessRun.run(RepoFiles.root(), Map.of("CONTAINERS_CONF", containersConf()), timeoutSeconds, command);
  }

  private static String containersConf() {
    String configured = System.getenv("CONTAINERS_CONF");
    return configured != null && !configured.isEmpty()
        ? configured : RepoFiles.image("containers.conf").toString();
  }

  private static String uid() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("Uid:")) {
        return line.split("\\s+")[2];
      }
    }
    return "";
  }

  private static boolean onPath(String name) {
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
      if (Files.isExecutable(Path.of(dir, name))) {
        return true;
      }
    }
    return false;
  }
}
