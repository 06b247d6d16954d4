package io.jflannel.deploy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The outcome of a finished child process: exit code and its merged stdout and stderr. */
record ProcessRun(List<String> command, int exitCode, String output) {

  /** Runs {@code command} in {@code dir} with extra environment, killing it (by its handle) after the timeout. */
  static ProcessRun run(Path dir, Map<String, String> env, long timeoutSeconds, List<String> command)
      throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
    pb.environment().putAll(env);
    Process p = pb.start();
    p.getOutputStream().close();
    // Read on a helper thread so a chatty process cannot block on a full pipe.
    StringBuilder out = new StringBuilder();
    Thread reader = new Thread(() -> {
      try {
        out.append(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
      } catch (IOException e) {
        out.append("<output lost: ").append(e).append('>');
      }
    });
    reader.start();
    if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      p.waitFor();
      reader.join();
      throw new AssertionError("timed out after " + timeoutSeconds + " s: " + command + "\n" + out);
    }
    reader.join();
    return new ProcessRun(command, p.exitValue(), out.toString());
  }

  /** This run, or an assertion error with the command and its output when it did not exit 0. */
  ProcessRun requireSuccess() {
    if (exitCode != 0) {
      throw new AssertionError("exit " + exitCode + ": " + command + "\n" + output);
    }
    return this;
  }
}
