package io.jflannel.lab;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Renders the network configuration the flannel CNI plugin hands to its delegate (the
 * {@code bridge} plugin) for the default flannel conflist ({@code cbr0}, whose delegate block
 * sets {@code hairpinMode} and {@code isDefaultGateway}).
 * The lab has no flannel CNI binary (Debian does not ship it), so it performs this step
 * itself and calls {@code bridge} directly, exactly as the plugin would.
 *
 * <p>Rules carried over from the plugin: {@code ipMasq} is the negation of FLANNEL_IPMASQ
 * (flanneld masquerades, so the bridge must not); {@code mtu} is FLANNEL_MTU;
 * {@code isGateway} is true for the bridge; host-local IPAM gets one range per address
 * family with the subnet in network form, and one route per family to the cluster network.
 */
public final class FlannelCniDelegate {
  /** CNI spec version the lab speaks to the plugins. */
  public static final String CNI_VERSION = "0.3.1";
  private static final ObjectMapper JSON = new ObjectMapper();

  private FlannelCniDelegate() {}

  /**
   * The delegate configuration for a node whose daemon wrote {@code env}; host-local keeps
   * its allocations under {@code ipamDataDir}.
   */
  public static ObjectNode render(SubnetEnv env, String ipamDataDir) {
    ObjectNode conf = JSON.createObjectNode();
    conf.put("cniVersion", CNI_VERSION);
    conf.put("name", "cbr0");
    conf.put("type", "bridge");
    conf.put("bridge", "cni0");
    conf.put("isGateway", true);
    // From the delegate block of kube-flannel's conflist: pods get a default route too.
    conf.put("isDefaultGateway", true);
    conf.put("ipMasq", !env.ipMasq());
    conf.put("mtu", env.mtu());
    conf.put("hairpinMode", true);
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

  /** {@link #render} as a JSON string. */
  public static String renderJson(SubnetEnv env, String ipamDataDir) {
    return render(env, ipamDataDir).toString();
  }
}
