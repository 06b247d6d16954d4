package io.jflannel.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SubnetEnvTest {
  @Test
  void parsesTheDaemonsFile() {
    SubnetEnv env = SubnetEnv.parse("""
        FLANNEL_NETWORK=10.244.0.0/16
        FLANNEL_SUBNET=10.244.3.1/24
        FLANNEL_MTU=1450
        FLANNEL_IPMASQ=true
        """, "f");
    assertEquals("10.244.0.0/16", env.network().orElseThrow().toString());
    assertEquals("10.244.3.1/24", env.subnet().orElseThrow().toString());
    assertEquals("10.244.3.0/24", env.subnetBlock().orElseThrow().toString());
    assertEquals(1450, env.mtu());
    assertTrue(env.ipMasq());
  }

  @Test
  void ignoresUnknownKeysAndLinesWithoutEquals() {
    SubnetEnv env = SubnetEnv.parse("# comment\nFOO=bar\nFLANNEL_NETWORK=10.0.0.0/8\n"
        + "FLANNEL_SUBNET=10.1.0.1/24\nFLANNEL_MTU=1500\nFLANNEL_IPMASQ=false\n", "f");
    assertEquals(1500, env.mtu());
  }

  @Test
  void missingVariablesAreNamed() {
    LabException e = assertThrows(LabException.class,
        () -> SubnetEnv.parse("FLANNEL_NETWORK=10.0.0.0/8\n", "/run/x/subnet.env"));
    assertTrue(e.getMessage().contains("/run/x/subnet.env"), e.getMessage());
    assertTrue(e.getMessage().contains("FLANNEL_SUBNET"), e.getMessage());
    assertTrue(e.getMessage().contains("FLANNEL_MTU"), e.getMessage());
    assertTrue(e.getMessage().contains("FLANNEL_IPMASQ"), e.getMessage());
  }

  @Test
  void badValuesAreNamed() {
    LabException cidr = assertThrows(LabException.class, () -> SubnetEnv.parse(
        "FLANNEL_NETWORK=10.0.0.0\nFLANNEL_SUBNET=10.1.0.1/24\nFLANNEL_MTU=1\nFLANNEL_IPMASQ=true",
        "f"));
    assertTrue(cidr.getMessage().contains("FLANNEL_NETWORK=10.0.0.0"), cidr.getMessage());
    LabException mtu = assertThrows(LabException.class, () -> SubnetEnv.parse(
        "FLANNEL_NETWORK=10.0.0.0/8\nFLANNEL_SUBNET=10.1.0.1/24\nFLANNEL_MTU=big\nFLANNEL_IPMASQ=true",
        "f"));
    assertTrue(mtu.getMessage().contains("FLANNEL_MTU=big"), mtu.getMessage());
  }
}
