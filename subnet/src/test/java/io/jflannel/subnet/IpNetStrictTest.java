package io.jflannel.subnet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link IpNet#parseAddress} accepts exactly what Go's net.ParseIP accepts. */
class IpNetStrictTest {

  @ParameterizedTest
  @ValueSource(strings = {"10.1", "1", "010.0.0.1", "10.0.0.1/32", "10.0.0.*", "fe80::1%eth0",
      "node-a", "10.0.0.256", "::ffff:zz"})
  void lenientFormsAreRefused(String text) {
    assertThrows(IllegalArgumentException.class, () -> IpNet.parseAddress(text));
  }

  @ParameterizedTest
  @ValueSource(strings = {"10.0.0.1", "192.0.2.255", "fc00::1", "2001:db8:0:1::", "::"})
  void literalsAreAccepted(String text) {
    assertEquals(IpNet.format(IpNet.parseAddress(text)), IpNet.format(IpNet.parseAddress(text.toUpperCase())));
  }
}
