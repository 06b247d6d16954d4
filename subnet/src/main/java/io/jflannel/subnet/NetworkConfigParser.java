package io.jflannel.subnet;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigInteger;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Locale;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the cluster network configuration (net-conf.json, or the etcd key
 * {@code <prefix>/config}) into a validated {@link NetworkConfig} with every default applied.
 *
 * <p>Keys are matched case-insensitively, unknown keys are ignored with a warning, a JSON
 * {@code null} counts as absent. Every failure is a {@link ConfigException} naming the field
 * and the value found.
 */
public final class NetworkConfigParser {
  private static final Logger LOG = LoggerFactory.getLogger(NetworkConfigParser.class);

  /** The backend used when the config has no {@code Backend} (flannel's documented default). */
  public static final String DEFAULT_BACKEND = "vxlan";

  private static final Set<String> KNOWN_KEYS = Set.of(
      "network", "ipv6network", "enableipv4", "enableipv6", "enablenftables",
      "subnetlen", "subnetmin", "subnetmax", "ipv6subnetlen", "ipv6subnetmin", "ipv6subnetmax",
      "backend");

  /**
   * The longest config accepted, in characters. A Kubernetes ConfigMap holds at most 1 MiB and
   * a real config is a few hundred bytes; anything bigger is a mistake, not a network.
   */
  public static final int MAX_CONFIG_CHARS = 1 << 20;

  private NetworkConfigParser() {}

  /**
   * Parses and validates a config for the etcd subnet manager, which allocates subnets
   * itself: SubnetLen, SubnetMin and SubnetMax are defaulted and checked against Network.
   *
   * @throws ConfigException naming the field and value that are wrong
   */
  public static NetworkConfig parse(String json) throws ConfigException {
    return parse(json, false);
  }

  /**
   * Parses a config for the Kubernetes subnet manager. Subnets come from the nodes'
   * podCIDRs, so only the address families, the networks and the backend are required;
   * SubnetLen (and SubnetMin/SubnetMax where they fit) still get their defaults, but
   * their range checks, which only matter for allocation, are skipped as upstream does.
   *
   * @throws ConfigException naming the field and value that are wrong
   */
  public static NetworkConfig parseForKube(String json) throws ConfigException {
    return parse(json, true);
  }

  private static NetworkConfig parse(String json, boolean kube) throws ConfigException {
    if (json == null || json.isBlank()) {
      throw new ConfigException("network config is empty");
    }
    if (json.length() > MAX_CONFIG_CHARS) {
      throw new ConfigException("network config is too large: " + json.length()
          + " characters, the limit is " + MAX_CONFIG_CHARS);
    }
    JsonNode root;
    try {
      root = JsonTrees.read(json);
    } catch (JsonProcessingException e) {
      // Some failures (nesting too deep, document too long) come without a location.
      var at = e.getLocation();
      throw new ConfigException("network config is not valid JSON: " + e.getOriginalMessage()
          + (at == null ? "" : " at line " + at.getLineNr() + " column " + at.getColumnNr()), e);
    }
    if (root == null || !root.isObject()) {
      throw new ConfigException("network config must be a JSON object, got "
          + (root == null ? "nothing" : JsonObjectView.describe(root)));
    }
    JsonObjectView obj;
    try {
      obj = JsonObjectView.of((ObjectNode) root, "network config");
    } catch (IllegalArgumentException e) {
      throw new ConfigException(e.getMessage());
    }
    for (String unknown : obj.unknownKeys(KNOWN_KEYS)) {
      LOG.warn("network config: ignoring unknown key \"{}\"", unknown);
    }

    boolean enable4 = bool(obj, "EnableIPv4", true);
    boolean enable6 = bool(obj, "EnableIPv6", false);
    boolean nft = bool(obj, "EnableNFTables", false);
    if (!enable4 && !enable6) {
      throw new ConfigException(
          "EnableIPv4: false together with EnableIPv6: false; at least one address family must be enabled");
    }

    Family v4 = null;
    if (enable4) {
      v4 = family(obj, Family.V4, kube);
    }
    Family v6 = null;
    if (enable6) {
      v6 = family(obj, Family.V6, kube);
    }
    NetworkConfig.BackendConfig backend = backend(obj);
    return new NetworkConfig(enable4, enable6, nft,
        v4 == null ? null : v4.network, v4 == null ? 0 : v4.subnetLen,
        v4 == null ? null : v4.min, v4 == null ? null : v4.max,
        v6 == null ? null : v6.network, v6 == null ? 0 : v6.subnetLen,
        v6 == null ? null : v6.min, v6 == null ? null : v6.max,
        backend);
  }

  /** The per-family result; also carries the family's field names and limits. */
  private static final class Family {
    static final Family V4 = new Family("", "Network", "EnableIPv4", 32, 30, 28, 22, 24);
    static final Family V6 = new Family("IPv6", "IPv6Network", "EnableIPv6", 128, 126, 124, 62, 64);

    final String fieldPrefix;
    final String networkField;
    final String enableField;
    final int bits;
    final int maxSubnetLen;      // leave room for at least four addresses per node
    final int maxNetworkPrefix;  // when SubnetLen is defaulted
    final int bigNetworkPrefix;  // networks this large get the fixed default length
    final int bigNetworkSubnetLen;

    IpNet network;
    int subnetLen;
    IpNet min;
    IpNet max;

    private Family(String fieldPrefix, String networkField, String enableField, int bits,
        int maxSubnetLen, int maxNetworkPrefix, int bigNetworkPrefix, int bigNetworkSubnetLen) {
      this.fieldPrefix = fieldPrefix;
      this.networkField = networkField;
      this.enableField = enableField;
      this.bits = bits;
      this.maxSubnetLen = maxSubnetLen;
      this.maxNetworkPrefix = maxNetworkPrefix;
      this.bigNetworkPrefix = bigNetworkPrefix;
      this.bigNetworkSubnetLen = bigNetworkSubnetLen;
    }

    Family copy() {
      return new Family(fieldPrefix, networkField, enableField, bits, maxSubnetLen,
          maxNetworkPrefix, bigNetworkPrefix, bigNetworkSubnetLen);
    }

    boolean matches(InetAddress a) {
      return (a instanceof Inet4Address) == (bits == 32);
    }

    String familyName() {
      return bits == 32 ? "IPv4" : "IPv6";
    }
  }

  private static Family family(JsonObjectView obj, Family limits, boolean kube) throws ConfigException {
    Family f = limits.copy();
    String lenField = f.fieldPrefix + "SubnetLen";
    String minField = f.fieldPrefix + "SubnetMin";
    String maxField = f.fieldPrefix + "SubnetMax";

    JsonNode netNode = obj.get(f.networkField).orElseThrow(() -> new ConfigException(
        f.networkField + ": missing; it is required when " + f.enableField + " is true"));
    f.network = cidr(f, f.networkField, netNode);
    int prefix = f.network.prefixLength();

    int explicitLen = nonNegativeInt(obj, lenField);
    if (explicitLen > 0) {
      if (!kube && explicitLen > f.maxSubnetLen) {
        throw new ConfigException(lenField + ": must be at most " + f.maxSubnetLen + ", got " + explicitLen);
      }
      // As upstream: the first subnet is never handed out, so the network must hold four.
      if (!kube && explicitLen < prefix + 2) {
        throw new ConfigException(lenField + ": must be at least 2 longer than the prefix of " + f.networkField
            + " " + f.network + " so that it holds at least four subnets, got " + explicitLen);
      }
      if (explicitLen > f.bits) {
        throw new ConfigException(lenField + ": must be at most " + f.bits + ", got " + explicitLen);
      }
      f.subnetLen = explicitLen;
    } else {
      // 0 or absent means "choose": Go's zero value is the upstream marker for the default.
      if (prefix > f.maxNetworkPrefix && !kube) {
        throw new ConfigException(f.networkField + ": " + f.network + " is too small; the longest usable prefix is /"
            + f.maxNetworkPrefix);
      }
      f.subnetLen = prefix <= f.bigNetworkPrefix ? f.bigNetworkSubnetLen : Math.min(prefix + 2, f.bits);
    }

    InetAddress minAddr = address(obj, f, minField);
    InetAddress maxAddr = address(obj, f, maxField);
    boolean roomForSubnets = f.subnetLen > prefix;
    BigInteger count = BigInteger.ONE.shiftLeft(Math.max(0, f.subnetLen - prefix));
    if (minAddr != null) {
      f.min = new IpNet(minAddr, f.subnetLen);
    } else if (roomForSubnets) {
      // the first subnet is skipped: its network address would equal the cluster network's
      f.min = f.network.subnet(f.subnetLen, BigInteger.ONE);
    }
    if (maxAddr != null) {
      f.max = new IpNet(maxAddr, f.subnetLen);
    } else if (roomForSubnets) {
      f.max = f.network.subnet(f.subnetLen, count.subtract(BigInteger.ONE));
    }
    if (kube) {
      return f;
    }
    checkBound(f, minField, f.min);
    checkBound(f, maxField, f.max);
    if (f.network.indexOf(f.min).compareTo(f.network.indexOf(f.max)) > 0) {
      throw new ConfigException(minField + ": " + f.min.ip() + " is above " + maxField + " " + f.max.ip());
    }
    return f;
  }

  private static void checkBound(Family f, String field, IpNet bound) throws ConfigException {
    if (!f.network.contains(bound.address())) {
      throw new ConfigException(field + ": " + bound.ip() + " is not inside " + f.networkField + " " + f.network);
    }
    if (!bound.isNetworkAddress()) {
      throw new ConfigException(field + ": " + bound.ip() + " is not on a /" + f.subnetLen
          + " boundary (SubnetLen " + f.subnetLen + ")");
    }
  }

  private static IpNet cidr(Family f, String field, JsonNode n) throws ConfigException {
    if (!n.isTextual()) {
      throw new ConfigException(field + ": expected a CIDR string such as "
          + (f.bits == 32 ? "\"10.244.0.0/16\"" : "\"fc00::/48\"") + ", got " + JsonObjectView.describe(n));
    }
    String text = n.textValue();
    if (text.indexOf('/') < 0) {
      throw new ConfigException(field + ": \"" + text + "\" has no prefix length; expected ADDRESS/PREFIX");
    }
    IpNet net;
    try {
      net = IpNet.parse(text);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(field + ": \"" + text + "\" is not a valid CIDR (" + e.getMessage() + ")", e);
    }
    if (!f.matches(net.address())) {
      throw new ConfigException(field + ": \"" + text + "\" is not an " + f.familyName() + " network");
    }
    // Go's net.ParseCIDR masks the host bits; so do we.
    return net.network();
  }

  private static InetAddress address(JsonObjectView obj, Family f, String field) throws ConfigException {
    JsonNode n = obj.get(field).orElse(null);
    if (n == null) {
      return null;
    }
    if (!n.isTextual()) {
      throw new ConfigException(field + ": expected an " + f.familyName() + " address string, got "
          + JsonObjectView.describe(n));
    }
    String text = n.textValue();
    InetAddress parsed;
    try {
      parsed = IpLiteral.parse(text);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(field + ": \"" + text + "\" is not a valid address (" + e.getMessage() + ")", e);
    }
    if (!f.matches(parsed)) {
      throw new ConfigException(field + ": \"" + text + "\" is not an " + f.familyName() + " address");
    }
    return parsed;
  }

  private static boolean bool(JsonObjectView obj, String field, boolean dflt) throws ConfigException {
    JsonNode n = obj.get(field).orElse(null);
    if (n == null) {
      return dflt;
    }
    if (!n.isBoolean()) {
      throw new ConfigException(field + ": expected true or false, got " + JsonObjectView.describe(n));
    }
    return n.booleanValue();
  }

  /** A non-negative integer field; 0 when absent. */
  private static int nonNegativeInt(JsonObjectView obj, String field) throws ConfigException {
    JsonNode n = obj.get(field).orElse(null);
    if (n == null) {
      return 0;
    }
    if (!n.isIntegralNumber() || !n.canConvertToInt() || n.intValue() < 0) {
      throw new ConfigException(field + ": expected a non-negative integer, got " + JsonObjectView.describe(n));
    }
    return n.intValue();
  }

  private static NetworkConfig.BackendConfig backend(JsonObjectView obj) throws ConfigException {
    if (!obj.has("Backend")) {
      LOG.info("network config has no Backend; using the documented default type \"{}\"", DEFAULT_BACKEND);
      ObjectNode options = JsonNodeFactory.instance.objectNode();
      options.put("Type", DEFAULT_BACKEND);
      return new NetworkConfig.BackendConfig(DEFAULT_BACKEND, options);
    }
    JsonNode b = obj.get("Backend").orElse(null);
    if (b == null || !b.isObject()) {
      throw new ConfigException("Backend: expected an object such as {\"Type\":\"vxlan\"}, got "
          + (b == null ? "null" : JsonObjectView.describe(b)));
    }
    JsonObjectView backend;
    try {
      backend = JsonObjectView.of((ObjectNode) b, "Backend");
    } catch (IllegalArgumentException e) {
      throw new ConfigException(e.getMessage());
    }
    JsonNode type = backend.get("Type").orElseThrow(
        () -> new ConfigException("Backend.Type: missing in " + JsonObjectView.describe(b)));
    if (!type.isTextual() || type.textValue().isBlank()) {
      throw new ConfigException("Backend.Type: expected a backend name such as \"vxlan\", got "
          + JsonObjectView.describe(type));
    }
    return new NetworkConfig.BackendConfig(type.textValue().strip().toLowerCase(Locale.ROOT), b.deepCopy());
  }
}
