package io.jflannel.subnet.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import io.jflannel.subnet.IpNet;
import io.jflannel.subnet.Lease;
import io.jflannel.subnet.LeaseAttrs;
import io.jflannel.subnet.SubnetException;
import io.jflannel.subnet.TestPki;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The etcd TLS and authentication flags against real etcd servers: one with TLS and client
 * certificate authentication (certificates made here with openssl), one with users and roles.
 * Also proves that the password never shows up in logs, exception messages or toString.
 */
class EtcdSecurityTest {
  private static final String CONFIG = "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}";
  private static final String PASSWORD = "Pw-7f3kq9-never-print-me";
  private static final String ROOT_PASSWORD = "Root-pw-x81nd-never-print-me";

  @TempDir Path dir;
  private EtcdServer etcd;
  private final List<EtcdSubnetManager> managers = new ArrayList<>();
  private ListAppender<ILoggingEvent> logs;

  @BeforeEach
  void prerequisites() {
    EtcdServer.requireEtcd();
    TestPki.requireCommand("openssl");
    TestPki.requireCommand("etcdctl");
    logs = new ListAppender<>();
    logs.start();
    root().addAppender(logs);
  }

  @AfterEach
  void stop() throws Exception {
    root().detachAppender(logs);
    managers.forEach(EtcdSubnetManager::close);
    if (etcd != null) {
      etcd.close();
    }
  }

  private static Logger root() {
    return (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
  }

  private EtcdSubnetManager manager(EtcdOptions o) throws SubnetException {
    EtcdSubnetManager m = new EtcdSubnetManager(o.withPrefix("/jfl-sec").withOpTimeout(Duration.ofSeconds(3)), null);
    managers.add(m);
    return m;
  }

  private static LeaseAttrs own() throws Exception {
    return new LeaseAttrs(InetAddress.getByName("192.0.2.1"), null, "vxlan", null, null);
  }

  // ---- certificates ------------------------------------------------------------------------

  private TestPki pki() {
    return new TestPki(dir);
  }

  private void ca(String name) throws Exception {
    pki().ca(name);
  }

  private void leaf(String name, String ca, String usage) throws Exception {
    pki().leaf(name, ca, usage);
  }

  private String f(String name) {
    return pki().f(name);
  }

  private void startTlsEtcd() throws Exception {
    ca("ca");
    ca("other-ca");
    leaf("server", "ca", "serverAuth");
    leaf("client", "ca", "clientAuth");
    leaf("stranger", "other-ca", "clientAuth");
    etcd = EtcdServer.start("https", List.of("--cert-file", f("server.crt"), "--key-file", f("server.key"),
        "--client-cert-auth", "--trusted-ca-file", f("ca.crt")));
    etcd.etcdctl(List.of("--cacert", f("ca.crt"), "--cert", f("client.crt"), "--key", f("client.key")),
        "put", "/jfl-sec/config", CONFIG);
  }

  @Test
  void tlsWithClientCertificateAcquiresALease() throws Exception {
    startTlsEtcd();
    EtcdSubnetManager m = manager(EtcdOptions.of(List.of(etcd.endpoint()))
        .withTls(f("client.key"), f("client.crt"), f("ca.crt")));
    Lease lease = m.acquireLease(own());
    assertTrue(IpNet.parse("10.244.0.0/16").contains(lease.subnet().address()), lease.toString());
    String stored = etcd.etcdctl(List.of("--cacert", f("ca.crt"), "--cert", f("client.crt"), "--key", f("client.key")),
        "get", "--prefix", "/jfl-sec/subnets/");
    assertTrue(stored.contains("192.0.2.1"), stored);
  }

  @Test
  void tlsWithPkcs1AndSec1ClientKeysAcquiresALease() throws Exception {
    startTlsEtcd();
    // upstream's Go loader takes the traditional forms too
    pki().openssl("rsa", "-in", "client.key", "-traditional", "-out", "client-pkcs1.key");
    EtcdSubnetManager rsa = manager(EtcdOptions.of(List.of(etcd.endpoint()))
        .withTls(f("client-pkcs1.key"), f("client.crt"), f("ca.crt")));
    assertTrue(rsa.acquireLease(own()).subnet() != null);
    pki().openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", "ec.p8", "-out", "ec.csr", "-subj", "/CN=ec");
    pki().openssl("ec", "-in", "ec.p8", "-out", "ec.key");
    java.nio.file.Files.writeString(dir.resolve("ec.ext"), "extendedKeyUsage=clientAuth\n");
    pki().openssl("x509", "-req", "-in", "ec.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "ec.crt", "-days", "1", "-extfile", "ec.ext");
    EtcdSubnetManager ec = manager(EtcdOptions.of(List.of(etcd.endpoint()))
        .withTls(f("ec.key"), f("ec.crt"), f("ca.crt")));
    assertTrue(ec.networkConfig() != null);
  }

  @Test
  void tlsWithAnEncryptedKeyIsRefusedClearly() throws Exception {
    ca("ca");
    leaf("client", "ca", "clientAuth");
    pki().openssl("rsa", "-in", "client.key", "-traditional", "-aes128", "-passout", "pass:x", "-out", "enc.key");
    SubnetException e = assertThrows(SubnetException.class, () -> manager(EtcdOptions.of(List.of("https://127.0.0.1:1"))
        .withTls(f("enc.key"), f("client.crt"), f("ca.crt"))));
    assertTrue(e.getMessage().contains("enc.key") && e.getMessage().contains("encrypted"), e.getMessage());
  }

  @Test
  void tlsWithAClientCertificateOfAnotherCaFailsClearly() throws Exception {
    startTlsEtcd();
    EtcdSubnetManager m = manager(EtcdOptions.of(List.of(etcd.endpoint()))
        .withTls(f("stranger.key"), f("stranger.crt"), f("ca.crt")));
    SubnetException e = assertThrows(SubnetException.class, () -> m.acquireLease(own()));
    assertTrue(e.getMessage().contains(etcd.endpoint()) || e.getMessage().contains("etcd"), e.getMessage());
  }

  @Test
  void tlsWithoutTheServersCaFailsClearly() throws Exception {
    startTlsEtcd();
    // The system trust store does not know our test CA.
    EtcdSubnetManager m = manager(EtcdOptions.of(List.of(etcd.endpoint()))
        .withTls(f("client.key"), f("client.crt"), ""));
    SubnetException e = assertThrows(SubnetException.class, () -> m.acquireLease(own()));
    assertTrue(e.getMessage().contains("etcd"), e.getMessage());
  }

  @Test
  void tlsWithAMissingKeyFileNamesTheFiles() throws Exception {
    ca("ca");
    leaf("client", "ca", "clientAuth");
    SubnetException e = assertThrows(SubnetException.class, () -> manager(EtcdOptions.of(List.of("https://127.0.0.1:1"))
        .withTls(f("absent.key"), f("client.crt"), f("ca.crt"))));
    assertTrue(e.getMessage().contains("cannot load etcd TLS files") && e.getMessage().contains("absent.key"),
        e.getMessage());
  }

  // ---- authentication ----------------------------------------------------------------------

  private List<String> asRoot() {
    return List.of("--user", "root:" + ROOT_PASSWORD);
  }

  private void startAuthEtcd() throws Exception {
    etcd = EtcdServer.start();
    etcd.etcdctl(List.of(), "user", "add", "root:" + ROOT_PASSWORD, "--interactive=false");
    etcd.etcdctl(List.of(), "role", "add", "root");
    etcd.etcdctl(List.of(), "user", "grant-role", "root", "root");
    etcd.etcdctl(List.of(), "role", "add", "flannel");
    etcd.etcdctl(List.of(), "role", "grant-permission", "flannel", "--prefix=true", "readwrite", "/jfl-sec/");
    etcd.etcdctl(List.of(), "user", "add", "flannel:" + PASSWORD, "--interactive=false");
    etcd.etcdctl(List.of(), "user", "grant-role", "flannel", "flannel");
    etcd.etcdctl(List.of(), "auth", "enable");
    etcd.etcdctl(asRoot(), "put", "/jfl-sec/config", CONFIG);
  }

  @Test
  void authWithTheRightPasswordAcquiresALease() throws Exception {
    startAuthEtcd();
    EtcdSubnetManager m = manager(EtcdOptions.of(List.of(etcd.endpoint())).withCredentials("flannel", PASSWORD));
    Lease lease = m.acquireLease(own());
    assertNotNull(lease.subnet());
    String stored = etcd.etcdctl(asRoot(), "get", "--prefix", "/jfl-sec/subnets/");
    assertTrue(stored.contains("192.0.2.1"), stored);
    assertPasswordNowhere(null, m.options().toString());
  }

  @Test
  void authWithAWrongPasswordFailsClearlyWithoutPrintingIt() throws Exception {
    startAuthEtcd();
    String wrong = PASSWORD + "-wrong";
    EtcdSubnetManager m = manager(EtcdOptions.of(List.of(etcd.endpoint())).withCredentials("flannel", wrong));
    SubnetException e = assertThrows(SubnetException.class, () -> m.acquireLease(own()));
    assertTrue(e.getMessage().contains("etcd user \"flannel\"")
        && e.getMessage().contains("--etcd-password"), e.getMessage());
    assertPasswordNowhere(e, m.options().toString());
    assertFalse(m.options().toString().contains(wrong));
  }

  @Test
  void authWithoutCredentialsIsRefused() throws Exception {
    startAuthEtcd();
    EtcdSubnetManager m = manager(EtcdOptions.of(List.of(etcd.endpoint())));
    SubnetException e = assertThrows(SubnetException.class, () -> m.acquireLease(own()));
    assertTrue(e.getMessage().contains("/jfl-sec/config"), e.getMessage());
  }

  /** Neither password appears in any captured log line, logged throwable, {@code e} or {@code extra}. */
  private void assertPasswordNowhere(Throwable e, String extra) {
    List<String> texts = new ArrayList<>();
    texts.add(extra);
    for (ILoggingEvent ev : logs.list) {
      texts.add(ev.getFormattedMessage());
      for (IThrowableProxy t = ev.getThrowableProxy(); t != null; t = t.getCause()) {
        texts.add(t.getClassName() + ": " + t.getMessage());
      }
    }
    for (Throwable t = e; t != null; t = t.getCause()) {
      texts.add(t.toString());
      for (Throwable s : t.getSuppressed()) {
        texts.add(s.toString());
      }
    }
    assertTrue(texts.size() > 1, "nothing captured");
    for (String s : texts) {
      if (s != null) {
        assertFalse(s.contains(PASSWORD) || s.contains(ROOT_PASSWORD), "password leaked in: " + s);
      }
    }
    assertEquals(-1, String.join("\n", texts.stream().map(String::valueOf).toList()).indexOf(PASSWORD));
  }
}
