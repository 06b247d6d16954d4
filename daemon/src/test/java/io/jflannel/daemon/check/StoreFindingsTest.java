package io.jflannel.daemon.check;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jflannel.subnet.IpLiteral;
import io.jflannel.subnet.IpNet;
import io.jflannel.subnet.Lease;
import io.jflannel.subnet.LeaseAttrs;
import io.jflannel.subnet.SubnetEnv;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** {@link StoreFindings} on constructed leases and subnet.env contents, one test per finding. */
class StoreFindingsTest {
  static final InetAddress SELF = IpLiteral.parseV4("192.0.2.10");
  static final IpNet NETWORK = IpNet.parseNetwork("10.244.0.0/16");
  static final Path FILE = Path.of("/run/flannel/subnet.env");
  static final String SEE = "etcdctl get --prefix /coreos.com/network/subnets/";

  static Lease lease(String subnet, String publicIp, String type) {
    return new Lease(IpNet.parseNetwork(subnet), null, new LeaseAttrs(IpLiteral.parseV4(publicIp), null, type, null,
        null), null);
  }

  static Map<String, Lease> store(Lease... leases) {
    Map<String, Lease> m = new LinkedHashMap<>();
    for (Lease l : leases) {
      m.put(l.key(), l);
    }
    return m;
  }

  static List<String> lines(List<Finding> f) {
    return f.stream().map(Finding::line).toList();
  }

  static SubnetEnv env(String subnet, int mtu) {
    return new SubnetEnv(NETWORK, IpNet.parseNetwork(subnet), null, null, mtu, true);
  }

  @Test
  void theOwnLeaseIsTheOnePublishingOurAddress() {
    Lease own = lease("10.244.1.0/24", "192.0.2.10", "vxlan");
    Map<String, Lease> all = store(lease("10.244.7.0/24", "192.0.2.11", "vxlan"), own);
    assertEquals(Optional.of(own), StoreFindings.own(all, SELF));
    assertEquals(Optional.empty(), StoreFindings.own(all, IpLiteral.parseV4("192.0.2.99")));
  }

  @Test
  void aMatchingOwnLeaseIsOneOkLine() {
    Lease own = lease("10.244.1.0/24", "192.0.2.10", "vxlan");
    assertEquals(List.of("OK   own lease: 10.244.1.0/24 published with PublicIP 192.0.2.10"),
        lines(StoreFindings.lease(Optional.of(own), store(own), SELF, Optional.empty(), "vxlan", SEE)));
  }

  @Test
  void anotherBackendTypeIsAFail() {
    Lease own = lease("10.244.1.0/24", "192.0.2.10", "host-gw");
    assertEquals(List.of("FAIL own lease: 10.244.1.0/24 publishes BackendType host-gw, the config says vxlan | see: "
        + SEE + " | hint: peers refuse this node until flanneld publishes the lease again (restart it)"),
        lines(StoreFindings.lease(Optional.of(own), store(own), SELF, Optional.empty(), "vxlan", SEE)));
  }

  @Test
  void aPublishedAddressOtherThanTheAdvertisedOneIsAFail() {
    Lease own = lease("10.244.1.0/24", "192.0.2.99", "vxlan");
    assertEquals(List.of("FAIL own lease: 10.244.1.0/24 publishes PublicIP 192.0.2.99, this node advertises 192.0.2.10"
        + " | see: " + SEE + " | hint: peers send this node's pod traffic to the wrong address; a running flanneld"
        + " publishes its address again, else restart it"), lines(StoreFindings.published(own, SELF, "vxlan", SEE)));
  }

  @Test
  void noLeaseForUsIsAFailAndNamesTheHolderOfOurSubnet() {
    Lease other = lease("10.244.1.0/24", "192.0.2.50", "vxlan");
    assertEquals(List.of("FAIL own lease: the lease of subnet.env's subnet 10.244.1.0/24 publishes PublicIP"
        + " 192.0.2.50, this node advertises 192.0.2.10 | see: " + SEE + " | hint: another node holds this subnet or"
        + " the public IP changed; restart flanneld to take a lease"),
        lines(StoreFindings.lease(Optional.empty(), store(other), SELF, Optional.of(env("10.244.1.0/24", 1450)),
            "vxlan", SEE)));
    assertEquals(List.of("FAIL own lease: no lease publishes this node's PublicIP 192.0.2.10 | see: " + SEE
        + " | hint: flanneld is not running or expired its lease; start it (it takes or renews one)"),
        lines(StoreFindings.lease(Optional.empty(), store(other), SELF, Optional.empty(), "vxlan", SEE)));
  }

  @Test
  void aSubnetEnvAsTheDaemonWritesItIsOneOkLine() {
    assertEquals(List.of("OK   subnet.env: /run/flannel/subnet.env matches the lease and config (FLANNEL_NETWORK="
        + "10.244.0.0/16 FLANNEL_SUBNET=10.244.1.1/24 FLANNEL_MTU=1450 FLANNEL_IPMASQ=true)"),
        lines(StoreFindings.subnetFile(FILE, Optional.of(env("10.244.1.0/24", 1450)), env("10.244.1.0/24", 1450))));
  }

  @Test
  void aMissingSubnetEnvIsAFail() {
    assertEquals(List.of("FAIL subnet.env: /run/flannel/subnet.env is missing | see: ls -l /run/flannel/subnet.env"
        + " | hint: the CNI plugin cannot set up pods without it; flanneld writes it once ready"),
        lines(StoreFindings.subnetFile(FILE, Optional.empty(), env("10.244.1.0/24", 1450))));
  }

  @Test
  void eachDifferingLineIsAFail() {
    List<Finding> f = StoreFindings.subnetFile(FILE, Optional.of(env("10.244.2.0/24", 1400)),
        env("10.244.1.0/24", 1450));
    assertEquals(List.of("FAIL subnet.env: FLANNEL_SUBNET=10.244.2.1/24, the lease and config say"
            + " FLANNEL_SUBNET=10.244.1.1/24 | see: cat /run/flannel/subnet.env | hint: pods started now get a wrong"
            + " FLANNEL_SUBNET; restart flanneld to rewrite the file",
        "FAIL subnet.env: FLANNEL_MTU=1400, the lease and config say FLANNEL_MTU=1450 | see: cat"
            + " /run/flannel/subnet.env | hint: pods started now get a wrong FLANNEL_MTU; restart flanneld to rewrite"
            + " the file"), lines(f));
  }

  @Test
  void aLineTheDaemonDoesNotWriteIsAFail() {
    SubnetEnv actual = new SubnetEnv(NETWORK, IpNet.parseNetwork("10.244.1.0/24"), IpNet.parseNetwork("fd00::/48"),
        null, 1450, true);
    assertEquals(List.of("FAIL subnet.env: FLANNEL_IPV6_NETWORK=fd00::/48 is not in what flanneld writes | see: cat"
        + " /run/flannel/subnet.env | hint: restart flanneld to rewrite the file"),
        lines(StoreFindings.subnetFile(FILE, Optional.of(actual), env("10.244.1.0/24", 1450))));
  }
}
