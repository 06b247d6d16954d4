package io.jflannel.daemon.metrics;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jflannel.backend.BackendListener;
import io.jflannel.backend.RejectReason;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class FlannelMetricsTest {

  @Test
  void scrapeShowsEveryFlannelMetric() {
    FlannelMetrics m = new FlannelMetrics("0.1.0");
    m.peers("vxlan", "ipv4", 3);
    m.peers("vxlan", "ipv4", 5);
    m.peers("host-gw", "ipv4", 1);
    m.programmingLatency("vxlan", Duration.ofMillis(12));
    m.programmingLatency("vxlan", Duration.ofMillis(30));
    m.netlinkError("EEXIST");
    m.netlinkError("EEXIST");
    m.netlinkError("ENOENT");
    m.resync("iptables");
    m.repair("iptables", 1);
    m.repair("route", 1);
    m.leaseRenewal(true);
    m.leaseRenewal(false);
    m.leaseRenewal(true);
    m.rejectedPeer("overlaps-own-subnet");
    String text = m.scrape();
    for (String expected : List.of(
        "flannel_build_info{version=\"0.1.0\"} 1",
        "flannel_peers{backend=\"vxlan\",family=\"ipv4\"} 5",
        "flannel_peers{backend=\"host-gw\",family=\"ipv4\"} 1",
        "flannel_programming_latency_seconds_count{backend=\"vxlan\"} 2",
        "flannel_programming_latency_seconds_bucket{backend=\"vxlan\",le=\"+Inf\"} 2",
        "flannel_netlink_errors_total{errno=\"EEXIST\"} 2",
        "flannel_netlink_errors_total{errno=\"ENOENT\"} 1",
        "flannel_resyncs_total{kind=\"iptables\"} 1",
        "flannel_repairs_total{kind=\"iptables\"} 1",
        "flannel_repairs_total{kind=\"route\"} 1",
        "flannel_lease_renewals_total{result=\"success\"} 2",
        "flannel_lease_renewals_total{result=\"failure\"} 1",
        "flannel_rejected_peers_total{reason=\"overlaps-own-subnet\"} 1")) {
      assertTrue(text.contains(expected), () -> "missing " + expected + " in\n" + text);
    }
    assertTrue(text.contains("# TYPE flannel_programming_latency_seconds histogram"), text);
    assertFalse(text.contains("flannel_peers{backend=\"vxlan\",family=\"ipv4\"} 3"));
  }

  @Test
  void aFreshScrapeHoldsEveryCounterAtZero() {
    String text = new FlannelMetrics("0.1.0").scrape();
    for (String expected : List.of(
        "flannel_ready 0",
        "flannel_lease_renewals_total{result=\"success\"} 0",
        "flannel_lease_renewals_total{result=\"failure\"} 0",
        "flannel_netlink_errors_total{errno=\"EEXIST\"} 0",
        "flannel_netlink_errors_total{errno=\"ENETUNREACH\"} 0",
        "flannel_repairs_total{kind=\"iptables\"} 0",
        "flannel_repairs_total{kind=\"nftables\"} 0",
        "flannel_resyncs_total{kind=\"nftables\"} 0",
        "flannel_rejected_peers_total{reason=\"malformed\"} 0")) {
      assertTrue(text.contains(expected), () -> "missing " + expected + " in\n" + text);
    }
    for (BackendListener.ObjectKind k : BackendListener.ObjectKind.values()) {
      assertTrue(text.contains("flannel_repairs_total{kind=\"" + FlannelMetrics.label(k) + "\"} 0"), k + "\n" + text);
    }
    for (BackendListener.ResyncKind k : BackendListener.ResyncKind.values()) {
      assertTrue(text.contains("flannel_resyncs_total{kind=\"" + FlannelMetrics.label(k) + "\"} 0"), k + "\n" + text);
    }
    for (RejectReason r : RejectReason.values()) {
      assertTrue(text.contains("flannel_rejected_peers_total{reason=\"" + r.label() + "\"} 0"), r + "\n" + text);
    }
    assertFalse(text.contains("flannel_peers{"), "no backend named yet:\n" + text);
  }

  @Test
  void namingTheBackendStartsItsSeriesAtZero() {
    FlannelMetrics m = new FlannelMetrics("0.1.0");
    m.backend("vxlan", List.of("ipv4", "ipv6"));
    String text = m.scrape();
    for (String expected : List.of(
        "flannel_peers{backend=\"vxlan\",family=\"ipv4\"} 0",
        "flannel_peers{backend=\"vxlan\",family=\"ipv6\"} 0",
        "flannel_failing_peers{backend=\"vxlan\"} 0",
        "flannel_programming_latency_seconds_count{backend=\"vxlan\"} 0",
        "flannel_programming_latency_seconds_bucket{backend=\"vxlan\",le=\"+Inf\"} 0")) {
      assertTrue(text.contains(expected), () -> "missing " + expected + " in\n" + text);
    }
  }

  @Test
  void readyFollowsItsSourceAtEachScrape() {
    java.util.concurrent.atomic.AtomicBoolean ready = new java.util.concurrent.atomic.AtomicBoolean();
    FlannelMetrics m = new FlannelMetrics("0.1.0", ready::get);
    assertTrue(m.scrape().contains("\nflannel_ready 0"), m.scrape());
    ready.set(true);
    assertTrue(m.scrape().contains("\nflannel_ready 1"), m.scrape());
  }

  @Test
  void latencySumIsInSeconds() {
    FlannelMetrics m = new FlannelMetrics("0.1.0");
    m.programmingLatency("host-gw", Duration.ofMillis(250));
    assertTrue(m.scrape().contains("flannel_programming_latency_seconds_sum{backend=\"host-gw\"} 0.25"),
        m.scrape());
  }

  @Test
  void latencyBucketsSpanOneMillisecondToThirtySeconds() {
    FlannelMetrics m = new FlannelMetrics("0.1.0");
    m.programmingLatency("vxlan", Duration.ofMillis(3));
    m.programmingLatency("vxlan", Duration.ofSeconds(20));
    String text = m.scrape();
    for (String expected : List.of(
        "flannel_programming_latency_seconds_bucket{backend=\"vxlan\",le=\"0.001\"} 0",
        "flannel_programming_latency_seconds_bucket{backend=\"vxlan\",le=\"0.005\"} 1",
        "flannel_programming_latency_seconds_bucket{backend=\"vxlan\",le=\"10.0\"} 1",
        "flannel_programming_latency_seconds_bucket{backend=\"vxlan\",le=\"30.0\"} 2")) {
      assertTrue(text.contains(expected), () -> "missing " + expected + " in\n" + text);
    }
    assertFalse(text.contains("_created"), text);
  }

  @Test
  void failingPeersFollowTheBackendsReport() {
    FlannelMetrics m = new FlannelMetrics("0.1.0");
    m.backend("host-gw", List.of("ipv4"));
    m.failingPeers("host-gw", 2);
    assertTrue(m.scrape().contains("flannel_failing_peers{backend=\"host-gw\"} 2"));
    m.failingPeers("host-gw", 0);
    assertTrue(m.scrape().contains("flannel_failing_peers{backend=\"host-gw\"} 0"));
  }

  @Test
  void extensionCommandFailuresStartAtZeroForTheExtensionBackendOnly() {
    FlannelMetrics vxlan = new FlannelMetrics("0.1.0");
    vxlan.backend("vxlan", List.of("ipv4"));
    assertFalse(vxlan.scrape().contains("flannel_extension_command_failures_total{"), vxlan.scrape());
    FlannelMetrics m = new FlannelMetrics("0.1.0");
    m.backend("extension", List.of("ipv4"));
    String text = m.scrape();
    for (String command : List.of("pre_startup", "post_startup", "subnet_add", "subnet_remove")) {
      for (String reason : List.of("exit", "timeout", "start")) {
        String expected = "flannel_extension_command_failures_total{command=\"" + command + "\",reason=\"" + reason
            + "\"} 0";
        assertTrue(text.contains(expected), () -> "missing " + expected + " in\n" + text);
      }
    }
    m.commandFailure("subnet_add", "timeout");
    assertTrue(m.scrape().contains(
        "flannel_extension_command_failures_total{command=\"subnet_add\",reason=\"timeout\"} 1"), m.scrape());
  }

  /** The udp backend's drop counters exist at zero once it is named, and follow the packet loop's counts. */
  @Test
  void udpDropsStartAtZeroAndFollowTheLoopsCounts() {
    FlannelMetrics m = new FlannelMetrics("0.1.0");
    assertFalse(m.scrape().contains("flannel_udp_dropped_packets_total{"), "only a udp network has them");
    m.backend("udp", List.of("ipv4"));
    String text = m.scrape();
    for (String reason : List.of("no_route", "ttl", "malformed", "not_ipv4", "send_error", "write_error")) {
      assertTrue(text.contains("flannel_udp_dropped_packets_total{reason=\"" + reason + "\"} 0"), reason + "\n" + text);
    }
    java.util.concurrent.atomic.AtomicLong noRoute = new java.util.concurrent.atomic.AtomicLong();
    m.packetDrops("no_route", noRoute::get);
    noRoute.set(7);
    assertTrue(m.scrape().contains("flannel_udp_dropped_packets_total{reason=\"no_route\"} 7"));
    noRoute.set(9);
    assertTrue(m.scrape().contains("flannel_udp_dropped_packets_total{reason=\"no_route\"} 9"));
  }
}
