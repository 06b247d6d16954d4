package io.jflannel.subnet.kube;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jflannel.subnet.IpNet;
import io.jflannel.subnet.LeaseAttrs;
import io.jflannel.subnet.LeaseEvent;
import io.jflannel.subnet.PeerListener;
import io.jflannel.subnet.PeerSet;
import io.jflannel.subnet.NetworkConfig;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** Shared test values. */
final class Fixtures {

  private static final ObjectMapper JSON = new ObjectMapper();

  private Fixtures() {}

  static NetworkConfig ipv4Config() {
    return new NetworkConfig(true, false, false, IpNet.parse("10.244.0.0/16"), 24, null, null,
        null, 0, null, null, new NetworkConfig.BackendConfig("vxlan", null));
  }

  static NetworkConfig dualStackConfig() {
    return new NetworkConfig(true, true, false, IpNet.parse("10.244.0.0/16"), 24, null, null,
        IpNet.parse("fd00:10:244::/56"), 64, null, null,
        new NetworkConfig.BackendConfig("vxlan", null));
  }

  static NetworkConfig ipv6OnlyConfig() {
    return new NetworkConfig(false, true, false, null, 0, null, null,
        IpNet.parse("fd00:10:244::/56"), 64, null, null,
        new NetworkConfig.BackendConfig("host-gw", null));
  }

  static InetAddress ip(String literal) {
    try {
      return InetAddress.getByName(literal); // literals only: no lookup happens
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException(e);
    }
  }

  static JsonNode json(String text) {
    try {
      return JSON.readTree(text);
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException(e);
    }
  }

  static LeaseAttrs vxlanAttrs(String publicIp, String mac) {
    return new LeaseAttrs(ip(publicIp), null, "vxlan",
        json("{\"VNI\":1,\"VtepMAC\":\"" + mac + "\"}"), null);
  }

  /** A PeerListener that queues batches for the test thread. */
  static final class RecordingSink implements PeerListener {
    private final LinkedBlockingQueue<List<LeaseEvent>> batches = new LinkedBlockingQueue<>();

    @Override
    public void peersChanged(PeerSet peers) {
      List<LeaseEvent> events = peers.drain().events();
      batches.add(events);
    }

    /** The next batch; fails the test after 10 s. */
    List<LeaseEvent> next() throws InterruptedException {
      List<LeaseEvent> b = batches.poll(10, TimeUnit.SECONDS);
      if (b == null) {
        throw new AssertionError("no lease events within 10 s");
      }
      return b;
    }

    /** A batch arriving within {@code millis}, or null. */
    List<LeaseEvent> poll(long millis) throws InterruptedException {
      return batches.poll(millis, TimeUnit.MILLISECONDS);
    }
  }
}
