package io.jflannel.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class BackendsTest {
  /** Registered in src/test/resources/META-INF/services. */
  public static final class EchoFactory implements BackendFactory {
    static final Backend BACKEND = cfg -> {
      throw new UnsupportedOperationException();
    };

    @Override
    public String type() {
      return "echo-gw";
    }

    @Override
    public Backend create(BackendContext ctx) {
      return BACKEND;
    }
  }

  @Test
  void findsRegisteredFactoriesCaseInsensitively() throws Exception {
    assertSame(EchoFactory.BACKEND, Backends.create("Echo-GW", null));
    assertEquals(List.of("echo-gw"), Backends.knownTypes());
  }

  @Test
  void unknownTypeListsTheKnownOnes() {
    BackendException e = assertThrows(BackendException.class, () -> Backends.create("udp", null));
    assertEquals("unknown backend type \"udp\"; known types: echo-gw", e.getMessage());
  }

  @Test
  void contextDefaultsAndChecks() {
    var ext = ExternalInterface.ipv4("eth0", 2, Leases.ip("192.0.2.1"), 1500);
    var ctx = new BackendContext(new FakeNetlink(), ext, new InMemorySubnetManager(null, null, null), null);
    assertSame(BackendListener.NOOP, ctx.listener());
    assertEquals(BackendContext.DEFAULT_RESYNC, ctx.resyncInterval());
    IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
        () -> new ExternalInterface("eth0", 2, Leases.ip("fc00::1"), null, null, null, 1500));
    assertTrue(bad.getMessage().contains("ifaceAddr fc00:0:0:0:0:0:0:1 is not an IPv4 address"), bad.getMessage());
  }
}
