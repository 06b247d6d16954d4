package io.jflannel.daemon.metrics;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Store-side skips appear as {@code flannel_rejected_peers_total{reason="malformed"}}. */
class MalformedPeersMetricTest {

  @Test
  void malformedCountIsReadAtScrapeTimeAndSurvivesGarbageCollection() throws Exception {
    FlannelMetrics m = new FlannelMetrics("test");
    AtomicLong skipped = new AtomicLong(2);
    m.malformedPeers(skipped::get);
    m.rejectedPeer("subnet_outside_network");
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(20);
    }
    skipped.set(3);
    String text = m.scrape();
    assertTrue(text.contains("flannel_rejected_peers_total{reason=\"malformed\"} 3.0"), text);
    assertTrue(text.contains("flannel_rejected_peers_total{reason=\"subnet_outside_network\"} 1.0"), text);
  }

  @Test
  void repeatedScrapesDoNotCountTwice() {
    FlannelMetrics m = new FlannelMetrics("test");
    AtomicLong skipped = new AtomicLong();
    m.malformedPeers(skipped::get);
    assertTrue(m.scrape().contains("flannel_rejected_peers_total{reason=\"malformed\"} 0.0"), m.scrape());
    skipped.set(3);
    m.scrape();
    assertTrue(m.scrape().contains("flannel_rejected_peers_total{reason=\"malformed\"} 3.0"), m.scrape());
    skipped.set(5);
    assertTrue(m.scrape().contains("flannel_rejected_peers_total{reason=\"malformed\"} 5.0"), m.scrape());
  }

  @Test
  void storeListingFailuresAreCountedAndSyncedIsAGauge() {
    FlannelMetrics m = new FlannelMetrics("test");
    AtomicLong failures = new AtomicLong();
    java.util.concurrent.atomic.AtomicBoolean synced = new java.util.concurrent.atomic.AtomicBoolean(true);
    m.storeListing(failures::get, synced::get);
    String t = m.scrape();
    assertTrue(t.contains("flannel_store_list_failures_total 0.0") && t.contains("flannel_store_synced 1.0"), t);
    failures.set(2);
    synced.set(false);
    m.scrape();
    t = m.scrape();
    assertTrue(t.contains("flannel_store_list_failures_total 2.0") && t.contains("flannel_store_synced 0.0"), t);
    synced.set(true);
    assertTrue(m.scrape().contains("flannel_store_synced 1.0"));
  }
}
