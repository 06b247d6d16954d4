package io.jflannel.lab;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;

/** TCP throughput between two pods with iperf3 (server in one pod, client in the other). */
public final class Throughput {
  private static final ObjectMapper JSON = new ObjectMapper();

  private Throughput() {}

  /** Bits per second received by {@code to} during a {@code seconds}-long run from {@code from}. */
  public static double measure(Pod from, Pod to, int seconds) {
    Process server;
    try {
      server = new ProcessBuilder(Exec.inNetns(to.netns(), "iperf3", "-s", "-1", "-B", to.ip()))
          .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    } catch (IOException e) {
      throw new LabException("cannot start iperf3 server in " + to.name() + ": " + e.getMessage(), e);
    }
    try {
      Exec.Result r = null;
      // The server needs a moment to listen; retry the client briefly.
      for (int i = 0; i < 20; i++) {
        r = Exec.run(Exec.inNetns(from.netns(), "iperf3", "-J", "-c", to.ip(), "-t",
            Integer.toString(seconds)), null, Map.of(), Duration.ofSeconds(seconds + 30L));
        if (r.ok()) {
          break;
        }
        EtcdStore.sleep(100);
      }
      r.check();
      JsonNode result = JSON.readTree(r.stdout());
      return result.at("/end/sum_received/bits_per_second").asDouble();
    } catch (IOException e) {
      throw new LabException("iperf3 output from " + from.name() + " is not JSON", e);
    } finally {
      server.destroy();
    }
  }
}
