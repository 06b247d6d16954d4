package io.jflannel.lab;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;

/**
 * Renders the network configuration the flannel CNI plugin hands to its delegate (the
 * {@code bridge} plugin) from a conflist's flannel entry; by default the one of kube-flannel's
 * conflist ({@code cbr0}, whose delegate block sets {@code hairpinMode} and
 * {@code isDefaultGateway}).
 * The lab has no flannel CNI binary (Debian does not ship it), so it performs this step
 * itself and calls {@code bridge} directly, exactly as the plugin would.
 *
 * <p>Rules carried over from the plugin: the delegate block is the base; {@code name} and
 * {@code cniVersion} come from the conflist; {@code type} defaults to {@code bridge};
 * {@code ipMasq} defaults to the negation of FLANNEL_IPMASQ (flanneld masquerades, so the
 * bridge must not); {@code mtu} defaults to FLANNEL_MTU; a bridge is a gateway unless the
 * block says otherwise; host-local IPAM gets one range per address family with the subnet in
 * network form, and one route per family to the cluster network. The plugin reads
 * subnet.env from the entry's {@code subnetFile}, by default {@link #DEFAULT_SUBNET_FILE}.
 */
public final class FlannelCniDelegate {
  /** CNI spec version the lab speaks to the plugins. */
  public static final String CNI_VERSION = "0.3.1";
  /** Where the flannel CNI plugin reads subnet.env unless its conflist entry says otherwise. */
  public static final String DEFAULT_SUBNET_FILE = "/run/flannel/subnet.env";
  /**
   * The {@code cni-conf.json} of the kube-flannel ConfigMap (deploy/kube-flannel.yml, the same
   * as upstream's): what the install-cni step copies to {@code /etc/cni/net.d/10-flannel.conflist}.
   */
  public static final String KUBE_FLANNEL_CNI_CONF = """
      {
        "name": "cbr0",
        "cniVersion": "0.3.1",
        "plugins": [
          {
            "type": "flannel",
            "delegate": {
              "hairpinMode": true,
              "isDefaultGateway": true
            }
          },
          {
            "type": "portmap",
            "capabilities": {
              "portMappings": true
            }
          }
        ]
      }
      """;
  private static final ObjectMapper JSON = new ObjectMapper();

  private FlannelCniDelegate() {}

  /**
   * The delegate configuration for a node whose daemon wrote {@code env}, with kube-flannel's
   * conflist; host-local keeps its allocations under {@code ipamDataDir}.
   */
  public static ObjectNode render(SubnetEnv env, String ipamDataDir) {
    return render(env, ipamDataDir, parse(KUBE_FLANNEL_CNI_CONF, "kube-flannel's cni-conf.json"));
  }

  /** The delegate configuration the flannel entry of {@code conflist} yields. */
  public static ObjectNode render(SubnetEnv env, String ipamDataDir, JsonNode conflist) {
    JsonNode entry = flannelEntry(conflist);
    ObjectNode conf = entry.path("delegate").isObject()
        ? ((ObjectNode) entry.get("delegate")).deepCopy() : JSON.createObjectNode();
    conf.put("cniVersion", conflist.path("cniVersion").asText(CNI_VERSION));
    conf.put("name", conflist.path("name").asText());
    if (!conf.has("type")) {
      conf.put("type", "bridge");
    }
    if ("bridge".equals(conf.path("type").asText()) && !conf.has("bridge")) {
      // The bridge plugin's own default name, spelled out for the lab's readers.
      conf.put("bridge", "cni0");
    }
    if (!conf.has("ipMasq")) {
      conf.put("ipMasq", !env.ipMasq());
    }
    if (!conf.has("mtu")) {
      conf.put("mtu", env.mtu());
    }
    if ("bridge".equals(conf.path("type").asText()) && !conf.has("isGateway")) {
      conf.put("isGateway", true);
    }
    ObjectNode ipam = conf.putObject("ipam");
    ipam.put("type", "host-local");
    ArrayNode ranges = ipam.putArray("ranges");
    env.subnetBlock().ifPresent(s -> ranges.addArray().addObject().put("subnet", s.toString()));
    env.ipv6SubnetBlock().ifPresent(s -> ranges.addArray().addObject().put("subnet", s.toString()));
    ArrayNode routes = ipam.putArray("routes");
    env.network().ifPresent(n -> routes.addObject().put("dst", n.toString()));
    env.ipv6Network().ifPresent(n -> routes.addObject().put("dst", n.toString()));
    ipam.put("dataDir", ipamDataDir);
    return conf;
  }

  /** {@link #render(SubnetEnv, String)} as a JSON string. */
  public static String renderJson(SubnetEnv env, String ipamDataDir) {
    return render(env, ipamDataDir).toString();
  }

  /** Where the flannel entry of {@code conflist} reads subnet.env (a path on the node). */
  public static String subnetFile(JsonNode conflist) {
    return flannelEntry(conflist).path("subnetFile").asText(DEFAULT_SUBNET_FILE);
  }

  /** The flannel plugin's entry: of a conflist's plugins, or a single-plugin config itself. */
  static JsonNode flannelEntry(JsonNode conflist) {
    if ("flannel".equals(conflist.path("type").asText())) {
      return conflist;
    }
    for (JsonNode plugin : conflist.path("plugins")) {
      if ("flannel".equals(plugin.path("type").asText())) {
        return plugin;
      }
    }
    throw new LabException("CNI config has no flannel plugin: " + conflist);
  }

  /** Parses a CNI config. */
  public static JsonNode parse(String text, String what) {
    try {
      return JSON.readTree(text);
    } catch (IOException e) {
      throw new LabException(what + " is not JSON: " + e.getMessage(), e);
    }
  }
}
