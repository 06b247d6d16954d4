package io.jflannel.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.jflannel.daemon.http.HealthServer;
import io.jflannel.daemon.http.Readiness;
import io.jflannel.daemon.metrics.FlannelMetrics;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * deploy/grafana/jflannel.json and deploy/prometheus/alerts.yaml read only series that a
 * freshly started flanneld exports: every metric name in every query is looked for in a real
 * {@code /metrics} scrape of the daemon's health server, before anything has happened.
 */
class MonitoringTest {
  /** Series Prometheus makes itself for every scrape target; no exporter serves them. */
  static final Set<String> PROMETHEUS_OWN = Set.of("up");

  static JsonNode dashboard;
  static JsonNode alerts;

  @BeforeAll
  static void load() throws IOException {
    dashboard = new ObjectMapper().readTree(RepoFiles.root().resolve("deploy/grafana/jflannel.json").toFile());
    alerts = new ObjectMapper(new YAMLFactory()).readTree(RepoFiles.root().resolve("deploy/prometheus/alerts.yaml").toFile());
  }

  /** Every PromQL query of the dashboard (panels, then template variables), by where it is. */
  static Map<String, String> dashboardQueries() {
    Map<String, String> out = new LinkedHashMap<>();
    for (JsonNode p : dashboard.path("panels")) {
      for (JsonNode t : p.path("targets")) {
        out.put("panel '" + p.path("title").asText() + "' " + t.path("refId").asText(), t.path("expr").asText());
      }
    }
    for (JsonNode v : dashboard.path("templating").path("list")) {
      if (v.path("type").asText().equals("query")) {
        out.put("variable $" + v.path("name").asText(), v.path("query").path("query").asText());
      }
    }
    return out;
  }

  static Map<String, String> alertQueries() {
    Map<String, String> out = new LinkedHashMap<>();
    for (JsonNode g : alerts.path("groups")) {
      for (JsonNode r : g.path("rules")) {
        out.put("alert " + r.path("alert").asText(), r.path("expr").asText());
      }
    }
    return out;
  }

  /** The sample names of a real scrape: the daemon's metrics behind its own health server. */
  static Set<String> scrapedNames() throws Exception {
    Readiness readiness = new Readiness();
    FlannelMetrics metrics = new FlannelMetrics("test", readiness::isReady);
    // What the daemon does as soon as it knows its backend (BackendMetrics), before any peer.
    metrics.backend("vxlan", List.of("ipv4"));
    try (HealthServer server = HealthServer.start(
        new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), readiness, metrics::scrape)) {
      HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + server.address().getPort() + "/metrics")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, r.statusCode());
      Set<String> names = new TreeSet<>();
      r.body().lines().filter(l -> !l.isBlank() && !l.startsWith("#"))
          .forEach(l -> names.add(l.split("[{ ]", 2)[0]));
      return names;
    }
  }

  @Test
  void everySeriesTheDashboardAndTheAlertsReadIsInAFreshScrape() throws Exception {
    Set<String> scraped = scrapedNames();
    Map<String, String> queries = new LinkedHashMap<>(dashboardQueries());
    queries.putAll(alertQueries());
    List<String> missing = new ArrayList<>();
    Set<String> read = new LinkedHashSet<>();
    queries.forEach((where, expr) -> {
      Set<String> names = PromQlNames.of(expr);
      assertFalse(names.isEmpty(), where + " reads no metric: " + expr);
      for (String n : names) {
        read.add(n);
        if (!scraped.contains(n) && !PROMETHEUS_OWN.contains(n)) {
          missing.add(where + ": " + n);
        }
      }
    });
    assertEquals(List.of(), missing, "series read but not exported; scrape has " + scraped);
    // The issue's list: peers, latency, repairs, rejected peers, netlink errors, lease renewals, readiness.
    for (String n : List.of("flannel_peers", "flannel_programming_latency_seconds_bucket", "flannel_repairs_total",
        "flannel_rejected_peers_total", "flannel_netlink_errors_total", "flannel_lease_renewals_total",
        "flannel_ready")) {
      assertTrue(read.contains(n), n + " is on no panel or alert: " + read);
    }
  }

  @Test
  void peersArePlottedByBackendAndFamily() {
    String peers = dashboardQueries().entrySet().stream()
        .filter(e -> e.getKey().startsWith("panel 'Peers by backend and family'"))
        .map(Map.Entry::getValue).findFirst().orElseThrow();
    assertTrue(peers.contains("by (instance, backend, family)"), peers);
  }

  @Test
  void theAlertsTheIssueAsksForAreThere() {
    assertEquals(Set.of("alert FlannelNotReady", "alert FlannelDown", "alert FlannelRepairsSpiking",
        "alert FlannelRejectedPeers", "alert FlannelLeaseRenewalFailures", "alert FlannelPeersFailing"),
        Set.copyOf(alertQueries().keySet()));
    for (JsonNode g : alerts.path("groups")) {
      for (JsonNode r : g.path("rules")) {
        assertTrue(r.path("labels").has("severity"), r.path("alert").asText());
        assertFalse(r.path("annotations").path("summary").asText().isBlank(), r.path("alert").asText());
      }
    }
  }

  @Test
  void everyPanelQueriesThroughTheDatasourceVariable() {
    for (JsonNode p : dashboard.path("panels")) {
      if (!p.path("type").asText().equals("row")) {
        assertEquals("${datasource}", p.path("datasource").path("uid").asText(), p.path("title").asText());
        assertTrue(p.path("targets").size() > 0, p.path("title").asText());
      }
    }
  }

  @Test
  void metricNamesArePickedOutOfPromQl() {
    assertEquals(Set.of("flannel_programming_latency_seconds_bucket"), PromQlNames.of(
        "histogram_quantile(0.99, sum by (le, backend) (rate(flannel_programming_latency_seconds_bucket"
            + "{instance=~\"$instance\"}[$__rate_interval])))"));
    assertEquals(Set.of("flannel_ready"), PromQlNames.of("count(flannel_ready{instance=~\"$instance\"} == 0) or vector(0)"));
    assertEquals(Set.of("flannel_build_info"), PromQlNames.of("label_values(flannel_build_info, instance)"));
    assertEquals(Set.of("a_total", "b"), PromQlNames.of(
        "sum without (x, y) (increase(a_total{k=\"by (z)\"}[5m])) / on (i) group_left (j) b > 1e3"));
    assertEquals(Set.of("flannel_lease_renewals_total"),
        PromQlNames.of("increase(flannel_lease_renewals_total{result=\"failure\"}[30m]) > 0"));
  }
}
