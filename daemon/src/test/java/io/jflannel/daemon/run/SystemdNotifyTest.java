package io.jflannel.daemon.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** READY=1 arrives on a unix datagram socket the test binds, by path and by abstract name. */
class SystemdNotifyTest {
  static final int MSG_DONTWAIT = 0x40;

  @TempDir
  Path dir;

  /** Binds {@code name}, runs the notifier for it, returns what the socket received. */
  static String receive(String name) throws Exception {
    SystemdNotify.Socket libc = SystemdNotify.libc();
    int fd = libc.socket(SystemdNotify.AF_UNIX, SystemdNotify.SOCK_DGRAM, 0);
    assertTrue(fd >= 0);
    try {
      byte[] addr = SystemdNotify.sockaddr(name);
      assertEquals(0, libc.bind(fd, addr, addr.length), "bind " + name);
      Optional<SystemdNotify> n = SystemdNotify.fromEnv(Map.of("NOTIFY_SOCKET", name));
      n.orElseThrow().ready();
      byte[] buf = new byte[256];
      // a local datagram is queued by the time sendto returned: no waiting
      long got = libc.recv(fd, buf, buf.length, MSG_DONTWAIT);
      assertTrue(got > 0, "nothing received on " + name);
      return new String(buf, 0, (int) got, StandardCharsets.UTF_8);
    } finally {
      libc.close(fd);
    }
  }

  @Test
  void readySentToAPathSocket() throws Exception {
    assertEquals("READY=1", receive(dir.resolve("notify").toString()));
  }

  @Test
  void readySentToAnAbstractSocket() throws Exception {
    assertEquals("READY=1", receive("@jfl-notify-" + ThreadLocalRandom.current().nextLong(1L << 40)));
  }

  @Test
  void unsetOrEmptyMeansNoNotifier() {
    assertTrue(SystemdNotify.fromEnv(Map.of()).isEmpty());
    assertTrue(SystemdNotify.fromEnv(Map.of("NOTIFY_SOCKET", "")).isEmpty());
  }

  @Test
  void nobodyListeningIsAnErrorNamingTheSocket() {
    String name = dir.resolve("absent").toString();
    IOException e = assertThrows(IOException.class, () -> SystemdNotify.fromEnv(Map.of("NOTIFY_SOCKET", name))
        .orElseThrow().ready());
    assertTrue(e.getMessage().contains(name), e.getMessage());
  }
}
