package io.jflannel.daemon.check;

import io.jflannel.subnet.IpLiteral;
import io.jflannel.subnet.Lease;
import io.jflannel.subnet.SubnetEnv;
import io.jflannel.subnet.SubnetFile;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/** The store half of the check: the own lease and subnet.env against it. Pure. */
final class StoreFindings {
  private StoreFindings() {
  }

  /**
   * The own lease among all leases of the store: the one holding our advertised IPv4 address,
   * as the daemon's etcd store picks the lease to reuse.
   */
  static Optional<Lease> own(Map<String, Lease> all, InetAddress advertised) {
    return all.values().stream().filter(l -> Objects.equals(l.attrs().publicIp(), advertised)).findFirst();
  }

  /** Findings about the own lease; {@code own} empty when the store holds none for us. */
  static List<Finding> lease(Optional<Lease> own, Map<String, Lease> all, InetAddress advertised,
      Optional<SubnetEnv> file, String backendType, String see) {
    List<Finding> out = new ArrayList<>();
    String ip = IpLiteral.format(advertised);
    if (own.isPresent()) {
      return published(own.get(), advertised, backendType, see);
    }
    Optional<Lease> bySubnet = file.flatMap(f -> all.values().stream()
        .filter(l -> f.subnet() != null && f.subnet().equals(l.subnet())).findFirst());
    if (bySubnet.isPresent()) {
      out.add(Finding.fail("own lease", "the lease of subnet.env's subnet " + bySubnet.get().subnet()
          + " publishes PublicIP " + IpLiteral.format(bySubnet.get().attrs().publicIp()) + ", this node advertises "
          + ip, see, "another node holds this subnet or the public IP changed; restart flanneld to take a lease"));
    } else {
      out.add(Finding.fail("own lease", "no lease publishes this node's PublicIP " + ip, see,
          "flanneld is not running or expired its lease; start it (it takes or renews one)"));
    }
    return out;
  }

  /**
   * The own lease the store holds against what the daemon publishes: the PublicIP it advertises
   * and the configured backend type. One OK line when both match.
   */
  static List<Finding> published(Lease own, InetAddress advertised, String backendType, String see) {
    List<Finding> out = new ArrayList<>();
    String ip = IpLiteral.format(advertised);
    InetAddress publicIp = own.attrs().publicIp();
    if (!Objects.equals(publicIp, advertised)) {
      out.add(Finding.fail("own lease", own.subnet() + " publishes PublicIP "
          + (publicIp == null ? "none" : IpLiteral.format(publicIp)) + ", this node advertises " + ip, see,
          "peers send this node's pod traffic to the wrong address; a running flanneld publishes its address again,"
              + " else restart it"));
    }
    if (!backendType.equalsIgnoreCase(String.valueOf(own.attrs().backendType()))) {
      out.add(Finding.fail("own lease", own.subnet() + " publishes BackendType " + own.attrs().backendType()
          + ", the config says " + backendType, see,
          "peers refuse this node until flanneld publishes the lease again (restart it)"));
    }
    if (out.isEmpty()) {
      out.add(Finding.ok("own lease", own.subnet() + " published with PublicIP " + ip));
    }
    return out;
  }

  /** subnet.env compared line by line with what the daemon would write. */
  static List<Finding> subnetFile(Path path, Optional<SubnetEnv> actual, SubnetEnv expected) {
    List<Finding> out = new ArrayList<>();
    String see = "cat " + path;
    if (actual.isEmpty()) {
      out.add(Finding.fail("subnet.env", path + " is missing", "ls -l " + path,
          "the CNI plugin cannot set up pods without it; flanneld writes it once ready"));
      return out;
    }
    List<String> want = SubnetFile.render(expected).lines().toList();
    List<String> have = SubnetFile.render(actual.get()).lines().toList();
    for (String w : want) {
      String name = w.substring(0, w.indexOf('='));
      if (have.contains(w)) {
        continue;
      }
      String h = have.stream().filter(x -> x.startsWith(name + "=")).findFirst().orElse(name + " missing");
      out.add(Finding.fail("subnet.env", h + ", the lease and config say " + w, see,
          "pods started now get a wrong " + name + "; restart flanneld to rewrite the file"));
    }
    for (String h : have) {
      String name = h.substring(0, h.indexOf('='));
      if (want.stream().noneMatch(x -> x.startsWith(name + "="))) {
        out.add(Finding.fail("subnet.env", h + " is not in what flanneld writes", see,
            "restart flanneld to rewrite the file"));
      }
    }
    if (out.isEmpty()) {
      out.add(Finding.ok("subnet.env", path + " matches the lease and config (" + String.join(" ", want) + ")"));
    }
    return out;
  }
}
