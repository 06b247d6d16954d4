package io.jflannel.subnet.etcd;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How to reach etcd and how long leases last; mirrors the {@code --etcd-*} flags.
 *
 * @param endpoints   client URLs, as in {@code --etcd-endpoints} (split on commas)
 * @param prefix      key prefix, {@code /coreos.com/network} by default, without a trailing slash
 * @param keyFile     TLS client key (PEM); TLS is used when key and cert are both set
 * @param certFile    TLS client certificate (PEM)
 * @param caFile      CA bundle to verify the server; empty means the system trust store
 * @param username    etcd user; empty means no authentication
 * @param password    etcd password
 * @param leaseTtl    TTL of the etcd lease attached to the subnet key (24 h upstream)
 * @param renewMargin renew this long before expiry ({@code --subnet-lease-renew-margin})
 * @param opTimeout   how long one etcd request may take before it is reported as failed
 */
public record EtcdOptions(
    List<String> endpoints,
    String prefix,
    String keyFile,
    String certFile,
    String caFile,
    String username,
    String password,
    Duration leaseTtl,
    Duration renewMargin,
    Duration opTimeout) {

  public static final String DEFAULT_PREFIX = "/coreos.com/network";
  public static final List<String> DEFAULT_ENDPOINTS = List.of("http://127.0.0.1:4001", "http://127.0.0.1:2379");
  public static final Duration DEFAULT_TTL = Duration.ofHours(24);
  public static final Duration DEFAULT_RENEW_MARGIN = Duration.ofMinutes(60);

  public EtcdOptions {
    endpoints = List.copyOf(endpoints);
    if (endpoints.isEmpty()) {
      throw new IllegalArgumentException("--etcd-endpoints: no endpoint given");
    }
    Objects.requireNonNull(prefix, "prefix");
    while (prefix.endsWith("/")) {
      prefix = prefix.substring(0, prefix.length() - 1);
    }
    if (!prefix.startsWith("/")) {
      throw new IllegalArgumentException("--etcd-prefix: \"" + prefix + "\" must start with /");
    }
    keyFile = nullToEmpty(keyFile);
    certFile = nullToEmpty(certFile);
    caFile = nullToEmpty(caFile);
    username = nullToEmpty(username);
    password = nullToEmpty(password);
    if (leaseTtl.toSeconds() < 1) {
      throw new IllegalArgumentException("lease TTL must be at least one second, got " + leaseTtl);
    }
    if (renewMargin.isNegative() || renewMargin.compareTo(leaseTtl) >= 0) {
      throw new IllegalArgumentException("--subnet-lease-renew-margin " + renewMargin
          + " must be shorter than the lease TTL " + leaseTtl);
    }
    if (opTimeout.isNegative() || opTimeout.isZero()) {
      throw new IllegalArgumentException("etcd request timeout must be positive, got " + opTimeout);
    }
  }

  /** Upstream defaults for the given endpoints. */
  public static EtcdOptions of(List<String> endpoints) {
    return new EtcdOptions(endpoints, DEFAULT_PREFIX, "", "", "", "", "", DEFAULT_TTL, DEFAULT_RENEW_MARGIN,
        Duration.ofSeconds(10));
  }

  /** Parses the {@code --etcd-endpoints} form {@code http://a:2379,http://b:2379}. */
  public static List<String> parseEndpoints(String commaList) {
    List<String> out = java.util.Arrays.stream(commaList.split(","))
        .map(String::strip).filter(s -> !s.isEmpty()).toList();
    if (out.isEmpty()) {
      throw new IllegalArgumentException("--etcd-endpoints: no endpoint in \"" + commaList + "\"");
    }
    return out;
  }

  public EtcdOptions withPrefix(String p) {
    return new EtcdOptions(endpoints, p, keyFile, certFile, caFile, username, password, leaseTtl, renewMargin, opTimeout);
  }

  public EtcdOptions withTls(String key, String cert, String ca) {
    return new EtcdOptions(endpoints, prefix, key, cert, ca, username, password, leaseTtl, renewMargin, opTimeout);
  }

  public EtcdOptions withCredentials(String user, String pass) {
    return new EtcdOptions(endpoints, prefix, keyFile, certFile, caFile, user, pass, leaseTtl, renewMargin, opTimeout);
  }

  public EtcdOptions withLease(Duration ttl, Duration margin) {
    return new EtcdOptions(endpoints, prefix, keyFile, certFile, caFile, username, password, ttl, margin, opTimeout);
  }

  public EtcdOptions withOpTimeout(Duration t) {
    return new EtcdOptions(endpoints, prefix, keyFile, certFile, caFile, username, password, leaseTtl, renewMargin, t);
  }

  /** True when a client key and certificate are both configured (upstream's rule). */
  public boolean tls() {
    return !keyFile.isEmpty() && !certFile.isEmpty();
  }

  @Override
  public String toString() {
    // never print the password
    return "EtcdOptions[endpoints=" + endpoints + ", prefix=" + prefix + ", tls=" + tls()
        + ", user=" + (username.isEmpty() ? "-" : username) + ", leaseTtl=" + leaseTtl
        + ", renewMargin=" + renewMargin + "]";
  }

  private static String nullToEmpty(String s) {
    return s == null ? "" : s;
  }
}
