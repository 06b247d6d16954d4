package io.jflannel.daemon.flags;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad and conflicting flags (docs/robustness.md, section "flags"): exit status 2 and one
 * {@code flanneld: ...} line that names the flag (or the environment variable it came from).
 * The launcher path of the same outcome is in {@code BadConfigCatalogueIT}.
 */
class BadFlagCatalogueTest {

  static Stream<Arguments> badFlags() {
    return Stream.of(
        Arguments.of("F-RENEW-MARGIN-ZERO", Map.of(), List.of("--subnet-lease-renew-margin=0"), "--subnet-lease-renew-margin"),
        Arguments.of("F-RENEW-MARGIN-DAY", Map.of(), List.of("--subnet-lease-renew-margin=1440"), "--subnet-lease-renew-margin"),
        Arguments.of("F-RENEW-MARGIN-TEXT", Map.of(), List.of("--subnet-lease-renew-margin=soon"), "--subnet-lease-renew-margin"),
        Arguments.of("F-RENEW-MARGIN-ENV", Map.of("FLANNELD_SUBNET_LEASE_RENEW_MARGIN", "0"), List.of(),
            "FLANNELD_SUBNET_LEASE_RENEW_MARGIN"),
        Arguments.of("F-HEALTHZ-PORT-HIGH", Map.of(), List.of("--healthz-port=65536"), "--healthz-port"),
        Arguments.of("F-HEALTHZ-PORT-NEGATIVE", Map.of(), List.of("--healthz-port=-1"), "--healthz-port"),
        Arguments.of("F-HEALTHZ-IP", Map.of(), List.of("--healthz-ip=localhost"), "--healthz-ip"),
        Arguments.of("F-IPTABLES-MODE", Map.of(), List.of("--iptables-mode=iptables"), "--iptables-mode"),
        Arguments.of("F-IPTABLES-MODE-ENV", Map.of("FLANNELD_IPTABLES_MODE", "x"), List.of(), "FLANNELD_IPTABLES_MODE"),
        Arguments.of("F-LOG-FORMAT", Map.of(), List.of("--log-format=klog"), "--log-format"),
        Arguments.of("F-LOG-FORMAT-ENV", Map.of("FLANNELD_LOG_FORMAT", "yaml"), List.of(), "FLANNELD_LOG_FORMAT"),
        Arguments.of("F-IPTABLES-RESYNC-ZERO", Map.of(), List.of("--iptables-resync=0"), "--iptables-resync"),
        Arguments.of("F-PUBLIC-IP-GARBAGE", Map.of(), List.of("--public-ip=not-an-ip"), "--public-ip"),
        Arguments.of("F-PUBLIC-IP-V6", Map.of(), List.of("--public-ip=2001:db8::1"), "--public-ip"),
        Arguments.of("F-PUBLIC-IPV6-V4", Map.of(), List.of("--public-ipv6=192.0.2.1"), "--public-ipv6"),
        Arguments.of("F-IFACE-REGEX", Map.of(), List.of("--iface-regex=(eth"), "--iface-regex"),
        Arguments.of("F-IFACE-EMPTY", Map.of(), List.of("--iface="), "--iface"),
        Arguments.of("F-ETCD-ENDPOINTS-EMPTY", Map.of(), List.of("--etcd-endpoints=,"), "--etcd-endpoints"),
        Arguments.of("F-ETCD-KEY-WITHOUT-CERT", Map.of(), List.of("--etcd-keyfile=/k"), "--etcd-certfile"),
        Arguments.of("F-ETCD-CERT-WITHOUT-KEY", Map.of(), List.of("--etcd-certfile=/c"), "--etcd-keyfile"),
        Arguments.of("F-BOOL-VALUE", Map.of(), List.of("--ip-masq=maybe"), "--ip-masq"),
        Arguments.of("F-UNKNOWN", Map.of(), List.of("--no-such-flag"), "--no-such-flag"),
        Arguments.of("F-VERBOSITY-NEGATIVE", Map.of(), List.of("-v=-1"), "-v"),
        Arguments.of("F-SUBNET-FILE-EMPTY", Map.of(), List.of("--subnet-file="), "--subnet-file"),
        Arguments.of("F-EVENT-QUEUE-DEPTH", Map.of("EVENT_QUEUE_DEPTH", "lots"), List.of(), "EVENT_QUEUE_DEPTH"),
        Arguments.of("F-EVENT-QUEUE-DEPTH-ZERO", Map.of("EVENT_QUEUE_DEPTH", "0"), List.of(), "EVENT_QUEUE_DEPTH"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badFlags")
  void exitsTwoWithOneLineNamingTheFlag(String id, Map<String, String> env, List<String> argv, String named) {
    CommandLineOutcome.Exit e = assertInstanceOf(CommandLineOutcome.Exit.class, FlagParser.parse(argv, env), id);
    assertEquals(2, e.status(), id);
    List<String> fatal = e.stderr().lines().filter(l -> l.startsWith("flanneld: ")).toList();
    assertEquals(1, fatal.size(), id + ": " + e.stderr());
    assertTrue(fatal.get(0).contains(named), id + ": " + fatal.get(0));
    assertEquals("", e.stdout(), id);
  }

  /** S-PASSWORD-TOSTRING: the whole options record prints without the etcd password. */
  @Test
  void optionsNeverPrintThePassword() {
    String secret = "s3cr3t-Zq81-never-print";
    for (Map<String, String> env : List.of(Map.<String, String>of(), Map.of("FLANNELD_ETCD_PASSWORD", secret))) {
      List<String> argv = env.isEmpty() ? List.of("--etcd-username=flannel", "--etcd-password=" + secret)
          : List.of("--etcd-username=flannel");
      FlanneldOptions o = ((CommandLineOutcome.Start) FlagParser.parse(argv, env)).options();
      assertEquals(secret, o.etcd().password());
      assertFalse(o.toString().contains(secret), o.toString());
      assertFalse(o.etcd().toString().contains(secret), o.etcd().toString());
      assertTrue(o.toString().contains("flannel"), "the user name is fine to print");
    }
  }

  /** A usage error about another flag does not echo the password given next to it. */
  @Test
  void usageErrorsDoNotEchoThePassword() {
    String secret = "s3cr3t-Zq81-never-print";
    CommandLineOutcome.Exit e = assertInstanceOf(CommandLineOutcome.Exit.class,
        FlagParser.parse(List.of("--etcd-password=" + secret, "--healthz-port=99999"), Map.of()));
    assertEquals(2, e.status());
    assertFalse(e.stderr().contains(secret), e.stderr());
  }
}
