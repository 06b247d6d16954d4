package io.jflannel.lab;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * Attaches pod namespaces to a node with the real CNI {@code bridge} + {@code host-local}
 * plugins, run inside the node namespace with the delegate config the flannel CNI plugin
 * renders from the node's subnet.env.
 */
public final class CniAttacher {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final Path cniPath;
  private final Path ipamDir;

  /**
   * @param cniPath directory with the plugin binaries
   * @param ipamDir host-local's data directory (one per lab, never the machine's own)
   */
  public CniAttacher(Path cniPath, Path ipamDir) {
    this.cniPath = cniPath;
    this.ipamDir = ipamDir;
  }

  /**
   * Runs {@code bridge} ADD for pod namespace {@code podNetns} on {@code node} and returns
   * the pod with the address host-local gave it.
   */
  public Pod attach(LabNode node, String podName, String podNetns, SubnetEnv env) {
    return attach(node, podName, podNetns, FlannelCniDelegate.renderJson(env, ipamDir.toString()));
  }

  /**
   * As {@link #attach(LabNode, String, String, SubnetEnv)}, with the delegate the flannel entry
   * of {@code conflist} (the node's installed CNI config) yields.
   */
  public Pod attach(LabNode node, String podName, String podNetns, SubnetEnv env, JsonNode conflist) {
    return attach(node, podName, podNetns,
        FlannelCniDelegate.render(env, ipamDir.toString(), conflist).toString());
  }

  private Pod attach(LabNode node, String podName, String podNetns, String config) {
    Map<String, String> cniEnv = Map.of(
        "CNI_COMMAND", "ADD",
        "CNI_CONTAINERID", podNetns,
        "CNI_NETNS", "/var/run/netns/" + podNetns,
        "CNI_IFNAME", "eth0",
        "CNI_PATH", cniPath.toString());
    Exec.Result r = Exec.run(Exec.inNetns(node.netns(), cniPath.resolve("bridge").toString()),
        config, cniEnv, Duration.ofSeconds(30));
    if (!r.ok()) {
      throw new LabException("CNI bridge ADD for " + podName + " on " + node.name() + " failed (exit "
          + r.exit() + "): " + r.stdout().strip() + " " + r.stderr().strip() + "\nconfig: " + config);
    }
    return new Pod(podName, podNetns, node.index(), addressOf(r.stdout(), podName));
  }

  /** The first IPv4 address in a CNI ADD result, without its prefix length. */
  static String addressOf(String result, String podName) {
    try {
      JsonNode root = JSON.readTree(result);
      for (JsonNode ip : root.path("ips")) {
        String addr = ip.path("address").asText("");
        if (addr.contains(".")) {
          return addr.substring(0, addr.indexOf('/'));
        }
      }
    } catch (IOException e) {
      throw new LabException("CNI result for " + podName + " is not JSON: " + result, e);
    }
    throw new LabException("CNI result for " + podName + " has no IPv4 address: " + result);
  }
}
