package io.jflannel.backend;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jflannel.subnet.IpNet;
import io.jflannel.subnet.Lease;
import io.jflannel.subnet.LeaseAttrs;
import java.net.InetAddress;
import java.net.UnknownHostException;

/** Builds leases for tests. */
final class Leases {
  private Leases() {
  }

  static InetAddress ip(String s) {
    try {
      return InetAddress.getByName(s);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException(s, e);
    }
  }

  static JsonNode vxlanData(String mac) {
    ObjectNode o = JsonNodeFactory.instance.objectNode();
    o.put("VNI", 1);
    if (mac != null) {
      o.put("VtepMAC", mac);
    }
    return o;
  }

  static Lease lease(String subnet, String publicIp, String type, JsonNode data) {
    return new Lease(IpNet.parse(subnet), null,
        new LeaseAttrs(publicIp == null ? null : ip(publicIp), null, type, data, null), null);
  }

  static Lease vxlan(String subnet, String publicIp, String mac) {
    return lease(subnet, publicIp, "vxlan", vxlanData(mac));
  }
}
