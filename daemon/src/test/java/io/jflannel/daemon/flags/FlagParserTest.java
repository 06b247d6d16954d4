package io.jflannel.daemon.flags;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FlagParserTest {

  private static FlanneldOptions ok(Map<String, String> env, String... argv) {
    CommandLineOutcome o = FlagParser.parse(List.of(argv), env);
    if (o instanceof CommandLineOutcome.Exit e) {
      throw new AssertionError("expected start, got exit " + e.status() + ": " + e.stderr());
    }
    return ((CommandLineOutcome.Start) o).options();
  }

  private static FlanneldOptions ok(String... argv) {
    return ok(Map.of(), argv);
  }

  private static CommandLineOutcome.Exit exit(Map<String, String> env, String... argv) {
    return assertInstanceOf(CommandLineOutcome.Exit.class, FlagParser.parse(List.of(argv), env));
  }

  private static CommandLineOutcome.Exit exit(String... argv) {
    return exit(Map.of(), argv);
  }

  @Test
  void defaultsAreUpstreams() throws Exception {
    FlanneldOptions o = ok();
    assertFalse(o.kube().enabled());
    assertEquals("", o.kube().apiUrl());
    assertEquals("", o.kube().kubeconfigFile());
    assertEquals("flannel.alpha.coreos.com", o.kube().annotationPrefix());
    assertEquals(Path.of("/etc/kube-flannel/net-conf.json"), o.kube().netConfigPath());
    assertTrue(o.kube().setNodeNetworkUnavailable());
    assertEquals(List.of("http://127.0.0.1:4001", "http://127.0.0.1:2379"), o.etcd().endpoints());
    assertEquals("/coreos.com/network", o.etcd().prefix());
    assertEquals("", o.etcd().keyFile());
    assertEquals("", o.etcd().certFile());
    assertEquals("", o.etcd().caFile());
    assertEquals("", o.etcd().username());
    assertEquals("", o.etcd().password());
    assertFalse(o.etcd().tls());
    assertEquals(List.of(), o.iface().names());
    assertEquals(List.of(), o.iface().regexes());
    assertEquals(Optional.empty(), o.iface().canReach());
    assertEquals(Optional.empty(), o.iface().publicIp());
    assertEquals(Optional.empty(), o.iface().publicIpv6());
    assertTrue(o.iface().unspecified());
    assertEquals(Path.of("/run/flannel/subnet.env"), o.subnetFile());
    assertEquals(Duration.ofMinutes(60), o.subnetLeaseRenewMargin());
    assertFalse(o.rules().ipMasq());
    assertFalse(o.rules().randomFullyDisabled());
    assertEquals(Duration.ofSeconds(5), o.rules().resyncPeriod());
    assertTrue(o.rules().forwardRules());
    assertEquals(IptablesMode.AUTO, o.rules().iptablesMode());
    assertFalse(o.ipBlackholeRoute());
    assertEquals(InetAddress.getByName("0.0.0.0"), o.health().ip());
    assertEquals(0, o.health().port());
    assertFalse(o.health().enabled());
    assertEquals(0, o.verbosity());
    assertEquals(Optional.empty(), o.environment().nodeName());
    assertEquals(5000, o.environment().eventQueueDepth());
    assertFalse(o.environment().continueWhenCacheNotReady());
  }

  @ParameterizedTest
  @ValueSource(strings = {"--", "-"})
  void everyValueFlagAcceptsEqualsAndSeparateForms(String dash) throws Exception {
    String[][] forms = {
      {dash + "kube-api-url=https://k:6443", dash + "kubeconfig-file=/k.conf",
        dash + "kube-annotation-prefix=example.com", dash + "net-config-path=/n.json",
        dash + "etcd-endpoints=http://a:1, http://b:2", dash + "etcd-prefix=/p",
        dash + "etcd-keyfile=/k", dash + "etcd-certfile=/c", dash + "etcd-cafile=/ca",
        dash + "etcd-username=u", dash + "etcd-password=pw", dash + "iface=eth0",
        dash + "iface-regex=^192\\.", dash + "iface-can-reach=192.0.2.9",
        dash + "public-ip=192.0.2.7", dash + "public-ipv6=fd00::7",
        dash + "subnet-file=/s.env", dash + "subnet-lease-renew-margin=30",
        dash + "iptables-resync=9", dash + "healthz-ip=127.0.0.1", dash + "healthz-port=8081",
        "-v=3"},
      {dash + "kube-api-url", "https://k:6443", dash + "kubeconfig-file", "/k.conf",
        dash + "kube-annotation-prefix", "example.com", dash + "net-config-path", "/n.json",
        dash + "etcd-endpoints", "http://a:1, http://b:2", dash + "etcd-prefix", "/p",
        dash + "etcd-keyfile", "/k", dash + "etcd-certfile", "/c", dash + "etcd-cafile", "/ca",
        dash + "etcd-username", "u", dash + "etcd-password", "pw", dash + "iface", "eth0",
        dash + "iface-regex", "^192\\.", dash + "iface-can-reach", "192.0.2.9",
        dash + "public-ip", "192.0.2.7", dash + "public-ipv6", "fd00::7",
        dash + "subnet-file", "/s.env", dash + "subnet-lease-renew-margin", "30",
        dash + "iptables-resync", "9", dash + "healthz-ip", "127.0.0.1",
        dash + "healthz-port", "8081", "-v", "3"},
    };
    for (String[] argv : forms) {
      FlanneldOptions o = ok(argv);
      assertEquals("https://k:6443", o.kube().apiUrl());
      assertEquals("/k.conf", o.kube().kubeconfigFile());
      assertEquals("example.com", o.kube().annotationPrefix());
      assertEquals(Path.of("/n.json"), o.kube().netConfigPath());
      assertEquals(List.of("http://a:1", "http://b:2"), o.etcd().endpoints());
      assertEquals("/p", o.etcd().prefix());
      assertTrue(o.etcd().tls());
      assertEquals("/ca", o.etcd().caFile());
      assertEquals("u", o.etcd().username());
      assertEquals("pw", o.etcd().password());
      assertFalse(o.etcd().toString().contains("pw"), "password must not be printed");
      assertEquals(List.of("eth0"), o.iface().names());
      assertEquals(List.of("^192\\."), o.iface().regexes());
      assertEquals(Optional.of(InetAddress.getByName("192.0.2.9")), o.iface().canReach());
      assertEquals(Optional.of(InetAddress.getByName("192.0.2.7")), o.iface().publicIp());
      assertEquals(Optional.of(InetAddress.getByName("fd00::7")), o.iface().publicIpv6());
      assertEquals(Path.of("/s.env"), o.subnetFile());
      assertEquals(Duration.ofMinutes(30), o.subnetLeaseRenewMargin());
      assertEquals(Duration.ofSeconds(9), o.rules().resyncPeriod());
      assertEquals(InetAddress.getByName("127.0.0.1"), o.health().ip());
      assertEquals(8081, o.health().port());
      assertEquals(3, o.verbosity());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"--ip-masq", "-ip-masq", "--ip-masq=true", "-ip-masq=true",
      "--ip-masq=1", "--ip-masq=T", "--ip-masq=TRUE", "--ip-masq", "--ip-masq true"})
  void booleanTrueForms(String form) {
    assertTrue(ok(form.split(" ")).rules().ipMasq());
  }

  @ParameterizedTest
  @ValueSource(strings = {"--iptables-forward-rules=false", "-iptables-forward-rules=false",
      "--iptables-forward-rules=0", "--iptables-forward-rules=F", "--iptables-forward-rules false"})
  void booleanFalseForms(String form) {
    assertFalse(ok(form.split(" ")).rules().forwardRules());
  }

  @Test
  void everyBooleanFlag() {
    FlanneldOptions o = ok("--kube-subnet-mgr", "-ip-masq", "--ip-masq-fully-random-disable",
        "--iptables-forward-rules=false", "-ip-blackhole-route=true",
        "--set-node-network-unavailable=false");
    assertTrue(o.kube().enabled());
    assertTrue(o.rules().ipMasq());
    assertTrue(o.rules().randomFullyDisabled());
    assertFalse(o.rules().forwardRules());
    assertTrue(o.ipBlackholeRoute());
    assertFalse(o.kube().setNodeNetworkUnavailable());
  }

  @Test
  void ifaceIsRepeatableInOrder() {
    FlanneldOptions o = ok("--iface=eth1", "-iface", "192.0.2.3", "--iface", "eth0",
        "--iface-regex=^10\\.", "-iface-regex", "^en");
    assertEquals(List.of("eth1", "192.0.2.3", "eth0"), o.iface().names());
    assertEquals(List.of("^10\\.", "^en"), o.iface().regexes());
    assertEquals(2, o.iface().patterns().size());
    assertFalse(o.iface().unspecified());
  }

  @Test
  void valueStartingWithDashIsNotRewritten() {
    // "-x" is the value of --iface here, not a flag to normalize.
    assertEquals(List.of("-x"), ok("--iface", "-x").iface().names());
    assertEquals("-weird", ok("-etcd-password", "-weird").etcd().password());
  }

  @Test
  void environmentFillsAbsentFlags() {
    Map<String, String> env = Map.of(
        "FLANNELD_IP_MASQ", "true",
        "FLANNELD_IFACE", "eth9",
        "FLANNELD_HEALTHZ_PORT", "8081",
        "FLANNELD_KUBE_SUBNET_MGR", "1",
        "FLANNELD_ETCD_PREFIX", "/from/env",
        "FLANNELD_SUBNET_LEASE_RENEW_MARGIN", "15",
        "FLANNELD_IPTABLES_FORWARD_RULES", "false");
    FlanneldOptions o = ok(env);
    assertTrue(o.rules().ipMasq());
    assertEquals(List.of("eth9"), o.iface().names());
    assertEquals(8081, o.health().port());
    assertTrue(o.kube().enabled());
    assertEquals("/from/env", o.etcd().prefix());
    assertEquals(Duration.ofMinutes(15), o.subnetLeaseRenewMargin());
    assertFalse(o.rules().forwardRules());
  }

  @Test
  void commandLineWinsOverEnvironment() {
    Map<String, String> env = Map.of("FLANNELD_IFACE", "eth9", "FLANNELD_HEALTHZ_PORT", "8081",
        "FLANNELD_IP_MASQ", "true");
    FlanneldOptions o = ok(env, "--iface=eth1", "-healthz-port", "9000", "--ip-masq=false");
    assertEquals(List.of("eth1"), o.iface().names(), "env value must not be added to argv list");
    assertEquals(9000, o.health().port());
    assertFalse(o.rules().ipMasq());
  }

  @Test
  void emptyEnvironmentValueIsIgnored() {
    FlanneldOptions o = ok(Map.of("FLANNELD_NET_CONFIG_PATH", ""));
    assertEquals(Path.of("/etc/kube-flannel/net-conf.json"), o.kube().netConfigPath());
  }

  @Test
  void badEnvironmentValueNamesTheVariable() {
    CommandLineOutcome.Exit e = exit(Map.of("FLANNELD_HEALTHZ_PORT", "http"));
    assertEquals(2, e.status());
    assertTrue(e.stderr().contains("--healthz-port"), e.stderr());
    assertTrue(e.stderr().contains("FLANNELD_HEALTHZ_PORT"), e.stderr());
    CommandLineOutcome.Exit r = exit(Map.of("FLANNELD_SUBNET_LEASE_RENEW_MARGIN", "5000"));
    assertTrue(r.stderr().contains("FLANNELD_SUBNET_LEASE_RENEW_MARGIN"), r.stderr());
  }

  @Test
  void otherEnvironment() {
    FlanneldOptions.Environment e = ok(Map.of("NODE_NAME", "n1", "POD_NAME", "p",
        "POD_NAMESPACE", "kube-flannel", "EVENT_QUEUE_DEPTH", "42",
        "CONT_WHEN_CACHE_NOT_READY", "true")).environment();
    assertEquals(Optional.of("n1"), e.nodeName());
    assertEquals(Optional.of("p"), e.podName());
    assertEquals(Optional.of("kube-flannel"), e.podNamespace());
    assertEquals(42, e.eventQueueDepth());
    assertTrue(e.continueWhenCacheNotReady());
    assertTrue(exit(Map.of("EVENT_QUEUE_DEPTH", "lots")).stderr().contains("EVENT_QUEUE_DEPTH"));
    assertTrue(exit(Map.of("EVENT_QUEUE_DEPTH", "0")).stderr().contains("EVENT_QUEUE_DEPTH"));
    assertTrue(exit(Map.of("CONT_WHEN_CACHE_NOT_READY", "yes")).stderr()
        .contains("CONT_WHEN_CACHE_NOT_READY"));
  }

  @Test
  void versionPrintsAndExitsZero() {
    for (String form : List.of("--version", "-version")) {
      CommandLineOutcome.Exit e = exit(form);
      assertEquals(0, e.status());
      // as upstream: on stderr, tag-style
      assertEquals("", e.stdout());
      assertTrue(e.stderr().strip().matches("v\\d+\\.\\d+\\.\\d+.*"), e.stderr());
    }
  }

  @Test
  void verbosityFromFlanneldVUnlessOnTheCommandLine() {
    // as upstream, whose -v is an ordinary flag of its set and so has FLANNELD_V
    assertEquals(4, ok(Map.of("FLANNELD_V", "4")).verbosity());
    assertEquals(2, ok(Map.of("FLANNELD_V", "4"), "-v=2").verbosity());
    CommandLineOutcome.Exit bad = exit(Map.of("FLANNELD_V", "loud"));
    assertEquals(2, bad.status());
    assertTrue(bad.stderr().contains("FLANNELD_V"), bad.stderr());
  }

  @Test
  void klogFlagsAreAcceptedAndIgnored() {
    FlanneldOptions o = ok("-vmodule=etcd*=3,kube=2", "--log_backtrace_at", "main.go:42");
    assertEquals(Map.of("-vmodule", "etcd*=3,kube=2", "-log_backtrace_at", "main.go:42"), o.ignoredLogFlags());
    assertEquals(Map.of("-vmodule", "x=1"), ok(Map.of("FLANNELD_VMODULE", "x=1")).ignoredLogFlags());
    assertEquals(Map.of(), ok().ignoredLogFlags());
  }

  @Test
  void helpListsEveryFlag() {
    for (String form : List.of("--help", "-help", "-h")) {
      CommandLineOutcome.Exit e = exit(form);
      assertEquals(0, e.status());
      for (String flag : List.of("--kube-subnet-mgr", "--kube-api-url", "--kubeconfig-file",
          "--kube-annotation-prefix", "--net-config-path", "--etcd-endpoints", "--etcd-prefix",
          "--etcd-keyfile", "--etcd-certfile", "--etcd-cafile", "--etcd-username",
          "--etcd-password", "--iface", "--iface-regex", "--iface-can-reach", "--public-ip",
          "--public-ipv6", "--subnet-file", "--subnet-lease-renew-margin", "--ip-masq",
          "--ip-masq-fully-random-disable", "--iptables-resync", "--iptables-forward-rules",
          "--ip-blackhole-route", "--healthz-ip", "--healthz-port",
          "--set-node-network-unavailable", "--iptables-mode", "--log-format", "-v", "--vmodule", "--log_backtrace_at",
          "--version")) {
        assertTrue(e.stdout().contains(flag), flag + " missing from help");
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"--iptables-mode=legacy", "-iptables-mode=legacy", "--iptables-mode legacy",
      "--iptables-mode=LEGACY", "-iptables-mode Legacy"})
  void iptablesModeInEveryForm(String form) {
    assertEquals(IptablesMode.LEGACY, ok(form.split(" ")).rules().iptablesMode());
  }

  @Test
  void iptablesModeFromTheEnvironmentUnlessOnTheCommandLine() {
    Map<String, String> env = Map.of("FLANNELD_IPTABLES_MODE", "nft");
    assertEquals(IptablesMode.NFT, ok(env).rules().iptablesMode());
    assertEquals(IptablesMode.AUTO, ok(env, "--iptables-mode=auto").rules().iptablesMode());
    CommandLineOutcome.Exit bad = exit(Map.of("FLANNELD_IPTABLES_MODE", "nftables"));
    assertEquals(2, bad.status());
    assertTrue(bad.stderr().contains("--iptables-mode (from environment FLANNELD_IPTABLES_MODE)")
        && bad.stderr().contains("'nftables' is not an iptables mode (use auto, nft or legacy)"), bad.stderr());
  }

  @ParameterizedTest
  @ValueSource(strings = {"--log-format=json", "-log-format=json", "--log-format json", "--log-format=JSON",
      "-log-format Json"})
  void logFormatInEveryForm(String form) {
    assertEquals(LogFormat.JSON, ok(form.split(" ")).logFormat());
  }

  @Test
  void logFormatIsTextByDefaultAndReadFromTheEnvironment() {
    assertEquals(LogFormat.TEXT, ok().logFormat());
    Map<String, String> env = Map.of("FLANNELD_LOG_FORMAT", "json");
    assertEquals(LogFormat.JSON, ok(env).logFormat());
    assertEquals(LogFormat.TEXT, ok(env, "--log-format=text").logFormat());
    CommandLineOutcome.Exit bad = exit("--log-format=klog");
    assertEquals(2, bad.status());
    assertTrue(bad.stderr().contains("invalid value for --log-format: 'klog' is not a log format (use text or json)"),
        bad.stderr());
    CommandLineOutcome.Exit badEnv = exit(Map.of("FLANNELD_LOG_FORMAT", "yaml"));
    assertTrue(badEnv.stderr().contains("--log-format (from environment FLANNELD_LOG_FORMAT)"), badEnv.stderr());
  }

  @Test
  void unknownFlagExitsTwoNamingIt() {
    CommandLineOutcome.Exit e = exit("--no-such-flag=1");
    assertEquals(2, e.status());
    assertTrue(e.stderr().contains("--no-such-flag"), e.stderr());
    assertTrue(exit("-bogus").stderr().contains("bogus"));
  }

  @Test
  void strayPositionalArgumentIsRefused() {
    // Go's flag package would silently stop parsing here; we refuse instead.
    CommandLineOutcome.Exit e = exit("--ip-masq", "yes");
    assertEquals(2, e.status());
    assertTrue(e.stderr().contains("yes"), e.stderr());
  }

  @Test
  void badValuesExitTwoNamingTheFlag() {
    Map<String, String[]> cases = Map.of(
        "--healthz-port", new String[] {"--healthz-port=65536"},
        "--healthz-port ", new String[] {"--healthz-port=-1"},
        "--subnet-lease-renew-margin", new String[] {"--subnet-lease-renew-margin=0"},
        "--subnet-lease-renew-margin ", new String[] {"--subnet-lease-renew-margin=1440"},
        "--public-ip", new String[] {"--public-ip=fd00::1"},
        "--public-ip ", new String[] {"--public-ip=example.com"},
        "--public-ipv6", new String[] {"--public-ipv6=192.0.2.1"},
        "--iface-regex", new String[] {"--iface-regex=eth(["},
        "--iptables-resync", new String[] {"--iptables-resync=0"},
        "--healthz-ip", new String[] {"--healthz-ip=localhost"});
    cases.forEach((flag, argv) -> {
      CommandLineOutcome.Exit e = exit(argv);
      assertEquals(2, e.status(), String.join(" ", argv));
      assertTrue(e.stderr().contains(flag.trim()), e.stderr());
    });
    CommandLineOutcome.Exit bool = exit("--ip-masq=maybe");
    assertEquals(2, bool.status());
    assertTrue(bool.stderr().contains("--ip-masq"), bool.stderr());
    CommandLineOutcome.Exit notInt = exit("--iptables-resync", "soon");
    assertTrue(notInt.stderr().contains("--iptables-resync"), notInt.stderr());
  }

  @Test
  void rangeBoundsAreInclusive() {
    assertEquals(Duration.ofMinutes(1), ok("--subnet-lease-renew-margin=1").subnetLeaseRenewMargin());
    assertEquals(Duration.ofMinutes(1439),
        ok("--subnet-lease-renew-margin=1439").subnetLeaseRenewMargin());
    assertEquals(65535, ok("--healthz-port=65535").health().port());
  }

  @Test
  void envNameMapping() {
    assertEquals("FLANNELD_IP_MASQ_FULLY_RANDOM_DISABLE",
        FlagParser.envNameOf("--ip-masq-fully-random-disable"));
  }
}
