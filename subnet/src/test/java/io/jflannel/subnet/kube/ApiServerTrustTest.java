package io.jflannel.subnet.kube;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import io.jflannel.subnet.SubnetException;
import io.jflannel.subnet.TestPki;
import java.io.FileInputStream;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The API server is authenticated by the cluster CA alone when one is configured, as client-go
 * does (docs/decisions/0841); fabric8 by itself would also trust every CA of the JVM's default
 * trust store. An HTTPS API stand-in with certificates made here by openssl.
 */
class ApiServerTrustTest {

  private static final String NODE = "{\"apiVersion\":\"v1\",\"kind\":\"Node\","
      + "\"metadata\":{\"name\":\"n1\"},\"spec\":{\"podCIDR\":\"10.244.1.0/24\"}}";

  @TempDir Path dir;
  private TestPki pki;
  private HttpsServer server;
  private String savedTrustStore;
  private String savedPassword;

  @BeforeEach
  void start() throws Exception {
    TestPki.requireCommand("openssl");
    pki = new TestPki(dir);
    pki.ca("ca");
    pki.ca("other-ca");
    pki.leaf("server", "ca", "serverAuth");
    pki.leaf("stranger", "other-ca", "serverAuth");
    savedTrustStore = System.getProperty("javax.net.ssl.trustStore");
    savedPassword = System.getProperty("javax.net.ssl.trustStorePassword");
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.stop(0);
    }
    restore("javax.net.ssl.trustStore", savedTrustStore);
    restore("javax.net.ssl.trustStorePassword", savedPassword);
  }

  private static void restore(String property, String value) {
    if (value == null) {
      System.clearProperty(property);
    } else {
      System.setProperty(property, value);
    }
  }

  /** Serves GET /api/v1/nodes/n1 over TLS with certificate {@code leaf}; returns the URL. */
  private String serve(String leaf) throws Exception {
    pki.openssl("pkcs12", "-export", "-in", leaf + ".crt", "-inkey", leaf + ".key", "-out", leaf + ".p12",
        "-passout", "pass:pw");
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = new FileInputStream(pki.f(leaf + ".p12"))) {
      ks.load(in, "pw".toCharArray());
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, "pw".toCharArray());
    SSLContext tls = SSLContext.getInstance("TLS");
    tls.init(kmf.getKeyManagers(), null, null);
    server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setHttpsConfigurator(new HttpsConfigurator(tls));
    server.createContext("/api/v1/nodes/n1", ex -> {
      byte[] body = NODE.getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().add("Content-Type", "application/json");
      ex.sendResponseHeaders(200, body.length);
      ex.getResponseBody().write(body);
      ex.close();
    });
    server.start();
    return "https://127.0.0.1:" + server.getAddress().getPort();
  }

  private Path kubeconfig(String url, String caFile) throws Exception {
    Path kc = dir.resolve("kubeconfig");
    Files.writeString(kc, String.join("\n",
        "apiVersion: v1", "kind: Config",
        "clusters:", "- name: c", "  cluster:", "    server: " + url, "    certificate-authority: " + caFile,
        "contexts:", "- name: c", "  context:", "    cluster: c", "    user: u",
        "current-context: c",
        "users:", "- name: u", "  user:", "    token: t", ""));
    return kc;
  }

  /** A PKCS#12 trust store holding {@code ca}, made the JVM's default trust store. */
  private void jvmTrusts(String ca) throws Exception {
    KeyStore ts = KeyStore.getInstance("PKCS12");
    ts.load(null, null);
    try (InputStream in = new FileInputStream(pki.f(ca + ".crt"))) {
      ts.setCertificateEntry(ca, java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    Path p = dir.resolve("jvm-trust.p12");
    try (var out = Files.newOutputStream(p)) {
      ts.store(out, "changeit".toCharArray());
    }
    System.setProperty("javax.net.ssl.trustStore", p.toString());
    System.setProperty("javax.net.ssl.trustStorePassword", "changeit");
  }

  @Test
  void theClusterCaAuthenticatesTheApiServer() throws Exception {
    String url = serve("server");
    try (KubernetesClient c = KubeClients.create(null, kubeconfig(url, pki.f("ca.crt")).toString())) {
      assertEquals("10.244.1.0/24", c.nodes().withName("n1").get().getSpec().getPodCIDR());
    }
  }

  @Test
  void aServerOfAnotherCaIsRefusedEvenWhenTheJvmTrustsThatCa() throws Exception {
    String url = serve("stranger");
    jvmTrusts("other-ca");
    Path kc = kubeconfig(url, pki.f("ca.crt"));
    // Control: fabric8 alone adds the cluster CA to the JVM's trust store, so it connects.
    Config config = Config.fromKubeconfig(null, kc.toFile());
    try (KubernetesClient plain = new KubernetesClientBuilder().withConfig(config)
        .withHttpClientFactory(new JdkHttpClientFactory()).build()) {
      assertEquals("n1", plain.nodes().withName("n1").get().getMetadata().getName());
    }
    // flanneld trusts the cluster CA only.
    try (KubernetesClient c = KubeClients.create(null, kc.toString())) {
      KubernetesClientException e = assertThrows(KubernetesClientException.class,
          () -> c.nodes().withName("n1").get());
      assertTrue(causes(e).contains("javax.net.ssl.SSLHandshakeException"), causes(e));
    }
  }

  private static String causes(Throwable t) {
    StringBuilder b = new StringBuilder();
    for (Throwable c = t; c != null; c = c.getCause()) {
      b.append(c.getClass().getName()).append(": ").append(c.getMessage()).append('\n');
    }
    return b.toString();
  }

  @Test
  void trustAnchorsFollowTheConfiguration() throws Exception {
    Config ca = Config.empty();
    ca.setMasterUrl("https://10.96.0.1");
    ca.setCaCertFile(pki.f("ca.crt"));
    X509Certificate[] anchors = x509(KubeClients.trustManagers(ca)).getAcceptedIssuers();
    assertEquals(List.of("CN=ca"), Arrays.stream(anchors).map(a -> a.getSubjectX500Principal().getName()).toList());

    Config http = Config.empty();
    http.setMasterUrl("http://127.0.0.1:6443");
    assertEquals(0, x509(KubeClients.trustManagers(http)).getAcceptedIssuers().length,
        "plain HTTP: nothing to trust");

    Config https = Config.empty();
    https.setMasterUrl("https://api.example.test");
    assertNull(KubeClients.trustManagers(https), "no CA given: fabric8's default (the JVM's CAs)");

    Config insecure = Config.empty();
    insecure.setMasterUrl("https://10.96.0.1");
    insecure.setCaCertFile(pki.f("ca.crt"));
    insecure.setTrustCerts(true);
    assertNull(KubeClients.trustManagers(insecure), "insecure-skip-tls-verify stays fabric8's");

    Config store = Config.empty();
    store.setMasterUrl("https://10.96.0.1");
    store.setTrustStoreFile(pki.f("server.p12"));
    assertNull(KubeClients.trustManagers(store), "an explicit trust store stays fabric8's");
  }

  @Test
  void aCaFileWithoutCertificatesIsAClearError() throws Exception {
    Files.writeString(dir.resolve("empty-ca.crt"), "");
    Path kc = kubeconfig("https://127.0.0.1:1", pki.f("empty-ca.crt"));
    SubnetException e = assertThrows(SubnetException.class, () -> KubeClients.create(null, kc.toString()));
    assertTrue(e.getMessage().contains("empty-ca.crt") && e.getMessage().contains("no certificate"), e.getMessage());
  }

  private static X509TrustManager x509(TrustManager[] managers) {
    return (X509TrustManager) Arrays.stream(managers).filter(m -> m instanceof X509TrustManager)
        .findFirst().orElseThrow();
  }
}
