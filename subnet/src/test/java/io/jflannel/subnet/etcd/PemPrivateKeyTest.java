package io.jflannel.subnet.etcd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jflannel.subnet.TestPki;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The etcd client key forms upstream accepts, each against openssl's own PKCS#8 of the key. */
class PemPrivateKeyTest {
  @TempDir
  Path dir;
  TestPki pki;

  @BeforeEach
  void prerequisites() {
    TestPki.requireCommand("openssl");
    pki = new TestPki(dir);
  }

  static byte[] der(String pem) {
    String body = pem.replaceAll("-----[A-Z ]+-----", "");
    return Base64.getMimeDecoder().decode(body);
  }

  PrivateKey key(String algorithm, String pem) throws Exception {
    return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der(pem)));
  }

  String pkcs8ByOpenssl(String file) throws Exception {
    pki.openssl("pkcs8", "-topk8", "-nocrypt", "-in", file, "-out", file + ".p8");
    return Files.readString(dir.resolve(file + ".p8"));
  }

  @Test
  void pkcs1RsaKeyBecomesTheSamePkcs8AsOpensslMakes() throws Exception {
    pki.openssl("genrsa", "-traditional", "-out", "rsa.pem", "2048");
    assertTrue(Files.readString(dir.resolve("rsa.pem")).startsWith("-----BEGIN RSA PRIVATE KEY-----"));
    String ours = PemPrivateKey.readAsPkcs8(dir.resolve("rsa.pem"));
    assertTrue(ours.startsWith("-----BEGIN PRIVATE KEY-----"), ours);
    assertArrayEquals(der(pkcs8ByOpenssl("rsa.pem")), der(ours));
  }

  @Test
  void sec1EcKeyWithAndWithoutParameterBlockLoads() throws Exception {
    pki.openssl("ecparam", "-name", "prime256v1", "-genkey", "-out", "ec.pem");
    String text = Files.readString(dir.resolve("ec.pem"));
    assertTrue(text.contains("BEGIN EC PARAMETERS") && text.contains("BEGIN EC PRIVATE KEY"), text);
    ECPrivateKey expected = (ECPrivateKey) key("EC", pkcs8ByOpenssl("ec.pem"));
    ECPrivateKey ours = (ECPrivateKey) key("EC", PemPrivateKey.readAsPkcs8(dir.resolve("ec.pem")));
    assertEquals(expected.getS(), ours.getS());
    assertEquals(expected.getParams().getCurve(), ours.getParams().getCurve());
    // the key alone, as `openssl ec` writes it
    pki.openssl("ec", "-in", "ec.pem", "-out", "ec-only.pem");
    ECPrivateKey alone = (ECPrivateKey) key("EC", PemPrivateKey.readAsPkcs8(dir.resolve("ec-only.pem")));
    assertEquals(expected.getS(), alone.getS());
  }

  @Test
  void pkcs8KeyPassesUnchanged() throws Exception {
    pki.openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "p8.pem");
    assertArrayEquals(der(Files.readString(dir.resolve("p8.pem"))),
        der(PemPrivateKey.readAsPkcs8(dir.resolve("p8.pem"))));
  }

  @Test
  void encryptedKeysAreRefusedNamingTheFile() throws Exception {
    pki.openssl("genrsa", "-traditional", "-aes128", "-passout", "pass:secret", "-out", "enc1.pem", "2048");
    pki.openssl("genpkey", "-algorithm", "RSA", "-aes-128-cbc", "-pass", "pass:secret", "-out", "enc8.pem");
    for (String f : new String[] {"enc1.pem", "enc8.pem"}) {
      IOException e = assertThrows(IOException.class, () -> PemPrivateKey.readAsPkcs8(dir.resolve(f)));
      assertTrue(e.getMessage().contains(f) && e.getMessage().contains("encrypted"), e.getMessage());
    }
  }

  @Test
  void fileWithoutAKeyIsRefused() throws Exception {
    Files.writeString(dir.resolve("cert.pem"), "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
    IOException e = assertThrows(IOException.class, () -> PemPrivateKey.readAsPkcs8(dir.resolve("cert.pem")));
    assertTrue(e.getMessage().contains("no PEM private key"), e.getMessage());
  }
}
