package io.jflannel.daemon.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jflannel.daemon.flags.FlanneldOptions;
import io.jflannel.daemon.metrics.FlannelMetrics;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class HealthServerTest {
  final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  final Readiness readiness = new Readiness();
  final FlannelMetrics metrics = new FlannelMetrics("9.9.9-test");
  HealthServer server;

  @BeforeEach
  void start() {
    server = HealthServer.start(
        new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), readiness, metrics::scrape);
  }

  @AfterEach
  void stop() {
    server.close();
  }

  HttpResponse<String> send(String method, String path) throws Exception {
    URI uri = URI.create("http://127.0.0.1:" + server.address().getPort() + path);
    HttpRequest req = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5))
        .method(method, HttpRequest.BodyPublishers.noBody()).build();
    return client.send(req, HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void healthzIsAlwaysOk() throws Exception {
    HttpResponse<String> r = send("GET", "/healthz");
    assertEquals(200, r.statusCode());
    assertEquals("flanneld is running", r.body());
  }

  @Test
  void readyzFollowsReadiness() throws Exception {
    assertEquals(503, send("GET", "/readyz").statusCode());
    readiness.markReady();
    HttpResponse<String> r = send("GET", "/readyz?verbose=1");
    assertEquals(200, r.statusCode());
    assertEquals("flanneld is ready", r.body());
  }

  /** Decision 0971: a peer listing that fails after start shows in /readyz until one succeeds. */
  @Test
  void readyzIsNotReadyWithTheReasonWhileThePeerListingFails() throws Exception {
    java.util.concurrent.atomic.AtomicReference<String> problem = new java.util.concurrent.atomic.AtomicReference<>();
    readiness.requirePeerListing(() -> java.util.Optional.ofNullable(problem.get()));
    readiness.markReady();
    assertEquals(200, send("GET", "/readyz").statusCode());
    problem.set("etcd: list /coreos.com/network/subnets/ failed: RESOURCE_EXHAUSTED");
    HttpResponse<String> r = send("GET", "/readyz");
    assertEquals(503, r.statusCode());
    assertEquals("flanneld is not ready: the peer list is not current: etcd: list /coreos.com/network/subnets/"
        + " failed: RESOURCE_EXHAUSTED", r.body());
    assertEquals(200, send("GET", "/healthz").statusCode(), "alive all the same: the dataplane still works");
    problem.set(null);
    assertEquals(200, send("GET", "/readyz").statusCode());
  }

  @Test
  void metricsArePrometheusText() throws Exception {
    metrics.resync("iptables");
    HttpResponse<String> r = send("GET", "/metrics");
    assertEquals(200, r.statusCode());
    assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("text/plain; version=0.0.4"),
        r.headers().toString());
    assertTrue(r.body().contains("flannel_resyncs_total{kind=\"iptables\"} 1"), r.body());
    assertTrue(r.body().contains("flannel_build_info{version=\"9.9.9-test\"} 1"), r.body());
  }

  @Test
  void unknownPathIs404AndOtherMethods405() throws Exception {
    assertEquals(404, send("GET", "/").statusCode());
    assertEquals(404, send("GET", "/healthz/extra").statusCode());
    HttpResponse<String> post = send("POST", "/healthz");
    assertEquals(405, post.statusCode());
    assertEquals("GET", post.headers().firstValue("allow").orElse(""));
    assertEquals(405, send("DELETE", "/metrics").statusCode());
    assertEquals(405, send("PUT", "/readyz").statusCode());
  }

  @Test
  void manyRequestsOnOneConnection() throws Exception {
    for (int i = 0; i < 20; i++) {
      assertEquals(200, send("GET", "/healthz").statusCode());
    }
  }

  @Test
  void portZeroInFlagsDisablesTheServer() throws Exception {
    InetAddress lo = InetAddress.getLoopbackAddress();
    assertTrue(HealthServer.startIfEnabled(new FlanneldOptions.Health(lo, 0), readiness,
        metrics::scrape).isEmpty());
    int port;
    try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1, lo)) {
      port = probe.getLocalPort();
    }
    try (HealthServer s = HealthServer.startIfEnabled(new FlanneldOptions.Health(lo, port),
        readiness, metrics::scrape).orElseThrow()) {
      assertEquals(port, s.address().getPort());
    }
  }

  @Test
  void busyAddressIsAClearError() {
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> HealthServer.start(server.address(), readiness, metrics::scrape));
    assertTrue(e.getMessage().contains(String.valueOf(server.address().getPort())), e.getMessage());
  }
}
