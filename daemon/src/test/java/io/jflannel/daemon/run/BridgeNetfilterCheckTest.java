package io.jflannel.daemon.run;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jflannel.subnet.NetworkConfig;
import io.jflannel.subnet.NetworkConfigParser;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BridgeNetfilterCheckTest {
  static final String V4 = "{\"Network\":\"10.5.0.0/16\"}";
  static final String DUAL = "{\"Network\":\"10.5.0.0/16\",\"EnableIPv6\":true,\"IPv6Network\":\"fc00::/48\"}";

  @TempDir
  Path bridge;

  static NetworkConfig config(String json) throws Exception {
    return NetworkConfigParser.parse(json);
  }

  @Test
  void missingIptablesKnobIsFatalNamingTheFileAndTheModule() throws Exception {
    FatalException e = assertThrows(FatalException.class, () -> new BridgeNetfilterCheck(bridge).check(config(V4)));
    assertTrue(e.getMessage().contains(bridge.resolve("bridge-nf-call-iptables").toString()), e.getMessage());
    assertTrue(e.getMessage().contains("br_netfilter"), e.getMessage());
  }

  @Test
  void presentKnobsPassAndIpv6NeedsItsOwn() throws Exception {
    Files.writeString(bridge.resolve("bridge-nf-call-iptables"), "1\n");
    assertDoesNotThrow(() -> new BridgeNetfilterCheck(bridge).check(config(V4)));
    FatalException e = assertThrows(FatalException.class, () -> new BridgeNetfilterCheck(bridge).check(config(DUAL)));
    assertTrue(e.getMessage().contains("bridge-nf-call-ip6tables"), e.getMessage());
    Files.writeString(bridge.resolve("bridge-nf-call-ip6tables"), "1\n");
    assertDoesNotThrow(() -> new BridgeNetfilterCheck(bridge).check(config(DUAL)));
  }

  @Test
  void nftablesModeSkipsTheCheckAsUpstream() throws Exception {
    assertDoesNotThrow(() -> new BridgeNetfilterCheck(bridge)
        .check(config("{\"Network\":\"10.5.0.0/16\",\"EnableNFTables\":true}")));
  }
}
