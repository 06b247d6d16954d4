package io.jflannel.daemon.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jflannel.daemon.KlogCapture;
import io.jflannel.subnet.IpLiteral;
import io.jflannel.subnet.IpNet;
import io.jflannel.subnet.Lease;
import io.jflannel.subnet.LeaseAttrs;
import io.jflannel.subnet.PeerChanges;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Upstream's per-peer lines ({@code Subnet added: S via IP}, {@code Subnet removed: S}) in klog's format. */
class PeerSyncLogTest {
  static Lease lease(String v4, String ip, String v6, String ip6) {
    return new Lease(v4 == null ? null : IpNet.parse(v4), v6 == null ? null : IpNet.parse(v6),
        new LeaseAttrs(ip == null ? null : IpLiteral.parse(ip), ip6 == null ? null : IpLiteral.parse(ip6), "host-gw",
            null, null), Instant.parse("2026-12-09T10:00:00Z"));
  }

  static void assertLines(List<String> lines, String... messages) {
    List<String> ours = lines.stream().filter(l -> l.contains("PeerSync.java:")).toList();
    assertEquals(messages.length, ours.size(), String.join("\n", lines));
    for (int i = 0; i < messages.length; i++) {
      Pattern p = KlogCapture.line('I', "PeerSync.java", messages[i]);
      assertTrue(p.matcher(ours.get(i)).matches(), p + "\n" + ours.get(i));
    }
  }

  /** Removals come first in a drain (PeerChanges.events). */
  @Test
  void addedAndRemovedPeersInUpstreamsWords() {
    Map<String, Lease> changed = new LinkedHashMap<>();
    changed.put("10.244.2.0-24", lease("10.244.2.0/24", "192.0.2.12", null, null));
    changed.put("10.244.3.0-24", lease("10.244.3.0/24", "192.0.2.13", "fd00:10:244:3::/64", "2001:db8::13"));
    changed.put("v6", lease(null, null, "fd00:10:244:4::/64", "2001:db8::14"));
    Map<String, Lease> removed = new LinkedHashMap<>();
    removed.put("10.244.5.0-24", lease("10.244.5.0/24", "192.0.2.15", null, null));
    try (KlogCapture log = KlogCapture.of(PeerSync.class)) {
      PeerSync.log(new PeerChanges(changed, removed, false, 4));
      assertLines(log.lines(),
          "Subnet removed: 10.244.5.0/24",
          "Subnet added: 10.244.2.0/24 via 192.0.2.12",
          "Subnet added: 10.244.3.0/24 via 192.0.2.13",
          "Subnet added: fd00:10:244:3::/64 via 2001:db8::13",
          "Subnet added: fd00:10:244:4::/64 via 2001:db8::14");
    }
  }

  @Test
  void aLargeBatchIsOneSummaryLine() {
    Map<String, Lease> changed = new LinkedHashMap<>();
    for (int i = 0; i < 40; i++) {
      changed.put("10.244." + i + ".0-24", lease("10.244." + i + ".0/24", "192.0.2." + (i + 1), null, null));
    }
    try (KlogCapture log = KlogCapture.of(PeerSync.class)) {
      PeerSync.log(new PeerChanges(changed, Map.of(), true, 40));
      assertLines(log.lines(), "40 peers added or changed, 0 removed (per-peer lines at debug level)");
    }
  }
}
