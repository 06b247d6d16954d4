package io.jflannel.subnet.etcd;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the etcd client key the way upstream's Go TLS loader accepts it: PKCS#8
 * ({@code BEGIN PRIVATE KEY}), PKCS#1 ({@code BEGIN RSA PRIVATE KEY}) or SEC1
 * ({@code BEGIN EC PRIVATE KEY}), and hands it on as an unencrypted PKCS#8 PEM, the one form
 * the TLS stack reads without bouncycastle. An encrypted key is refused. The two older forms
 * are wrapped into a PKCS#8 PrivateKeyInfo with a few lines of DER (docs/decisions/0980).
 */
final class PemPrivateKey {
  private static final Pattern BLOCK = Pattern.compile(
      "-----BEGIN ([A-Z0-9 ]+)-----\\R(.*?)-----END \\1-----", Pattern.DOTALL);
  // AlgorithmIdentifier rsaEncryption (1.2.840.113549.1.1.1) with NULL parameters
  private static final byte[] RSA_ALGORITHM = hex("300d06092a864886f70d0101010500");
  // OID id-ecPublicKey 1.2.840.10045.2.1
  private static final byte[] EC_PUBLIC_KEY_OID = hex("06072a8648ce3d0201");
  private static final byte[] VERSION_0 = hex("020100");

  private PemPrivateKey() {}

  /**
   * The key of {@code file} as PKCS#8 PEM text.
   *
   * @throws IOException when the file cannot be read, holds no private key, holds an encrypted
   *     one, or its DER is not what its header says
   */
  static String readAsPkcs8(Path file) throws IOException {
    String text = Files.readString(file, StandardCharsets.US_ASCII);
    byte[] ecParameters = null;
    Matcher m = BLOCK.matcher(text);
    while (m.find()) {
      String type = m.group(1);
      String body = m.group(2);
      switch (type) {
        case "EC PARAMETERS" -> ecParameters = der(file, type, body);
        case "PRIVATE KEY" -> {
          return pem(der(file, type, body));
        }
        case "RSA PRIVATE KEY" -> {
          refuseEncrypted(file, body);
          return pem(sequence(VERSION_0, RSA_ALGORITHM, tlv(0x04, der(file, type, body))));
        }
        case "EC PRIVATE KEY" -> {
          refuseEncrypted(file, body);
          byte[] sec1 = der(file, type, body);
          byte[] curve = curveOf(file, sec1);
          if (curve == null) {
            curve = ecParameters;
          }
          if (curve == null || curve.length == 0 || curve[0] != 0x06) {
            throw new IOException(file + ": the EC private key names no named curve");
          }
          return pem(sequence(VERSION_0, sequence(EC_PUBLIC_KEY_OID, curve), tlv(0x04, sec1)));
        }
        case "ENCRYPTED PRIVATE KEY" -> throw encrypted(file);
        default -> {
          // certificates or other blocks next to the key are skipped
        }
      }
    }
    throw new IOException(file + ": no PEM private key (BEGIN PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)");
  }

  private static void refuseEncrypted(Path file, String body) throws IOException {
    if (body.contains("Proc-Type:") && body.contains("ENCRYPTED")) {
      throw encrypted(file);
    }
  }

  private static IOException encrypted(Path file) {
    return new IOException(file + ": the private key is encrypted; flanneld needs an unencrypted key");
  }

  private static byte[] der(Path file, String type, String body) throws IOException {
    try {
      return Base64.getMimeDecoder().decode(body);
    } catch (IllegalArgumentException e) {
      throw new IOException(file + ": the " + type + " block is not valid base64", e);
    }
  }

  /** The [0] parameters (a named-curve OID, as a whole TLV) of a SEC1 ECPrivateKey, or null. */
  private static byte[] curveOf(Path file, byte[] sec1) throws IOException {
    try {
      int[] outer = header(sec1, 0);
      if ((sec1[0] & 0xff) != 0x30) {
        throw new IOException(file + ": the EC PRIVATE KEY block is not a DER SEQUENCE");
      }
      int pos = outer[0];
      int end = outer[0] + outer[1];
      while (pos < end) {
        int tag = sec1[pos] & 0xff;
        int[] h = header(sec1, pos);
        if (tag == 0xa0) {
          byte[] oid = new byte[h[1]];
          System.arraycopy(sec1, h[0], oid, 0, h[1]);
          return oid;
        }
        pos = h[0] + h[1];
      }
      return null;
    } catch (ArrayIndexOutOfBoundsException e) {
      throw new IOException(file + ": the EC PRIVATE KEY block is truncated DER", e);
    }
  }

  /** {start of content, content length} of the TLV at {@code pos}. */
  private static int[] header(byte[] b, int pos) throws IOException {
    int first = b[pos + 1] & 0xff;
    if (first < 0x80) {
      return new int[] {pos + 2, first};
    }
    int n = first & 0x7f;
    if (n == 0 || n > 3) {
      throw new IOException("unsupported DER length");
    }
    int len = 0;
    for (int i = 0; i < n; i++) {
      len = (len << 8) | (b[pos + 2 + i] & 0xff);
    }
    return new int[] {pos + 2 + n, len};
  }

  private static byte[] sequence(byte[]... parts) {
    ByteArrayOutputStream content = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      content.writeBytes(p);
    }
    return tlv(0x30, content.toByteArray());
  }

  private static byte[] tlv(int tag, byte[] content) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(content.length + 6);
    out.write(tag);
    int len = content.length;
    if (len < 0x80) {
      out.write(len);
    } else if (len < 0x100) {
      out.write(0x81);
      out.write(len);
    } else if (len < 0x10000) {
      out.write(0x82);
      out.write(len >> 8);
      out.write(len);
    } else {
      out.write(0x83);
      out.write(len >> 16);
      out.write(len >> 8);
      out.write(len);
    }
    out.writeBytes(content);
    return out.toByteArray();
  }

  private static String pem(byte[] pkcs8) {
    return "-----BEGIN PRIVATE KEY-----\n"
        + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(pkcs8)
        + "\n-----END PRIVATE KEY-----\n";
  }

  private static byte[] hex(String s) {
    byte[] b = new byte[s.length() / 2];
    for (int i = 0; i < b.length; i++) {
      b[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
    }
    return b;
  }
}
