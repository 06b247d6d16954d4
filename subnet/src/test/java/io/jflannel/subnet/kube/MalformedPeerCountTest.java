package io.jflannel.subnet.kube;

import static io.jflannel.subnet.kube.MockCluster.vxlanPeer;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A malformed node is counted once per distinct problem, not once per event or resync. */
class MalformedPeerCountTest {
  private final TrackerOfViews tracker =
      new TrackerOfViews("self", new PeerReader(AnnotationKeys.defaults(), true, false));

  private static NodeView withIp(String ip) {
    Map<String, String> a = new HashMap<>(vxlanPeer(ip, "2a:00:00:00:00:0a"));
    return new NodeView("bad", List.of("10.244.1.0/24"), a);
  }

  @Test
  void sameProblemAgainIsNotCountedButANewOneIs() {
    tracker.update("bad", withIp("2001:db8::1"));
    tracker.update("bad", withIp("2001:db8::1"));      // heartbeat update, same problem
    tracker.resync(List.of(withIp("2001:db8::1")));   // relist
    assertEquals(1, tracker.rejected());
    tracker.update("bad", withIp("not-an-ip"));        // a different problem
    assertEquals(2, tracker.rejected());
    tracker.update("bad", withIp("192.0.2.11"));       // fixed
    tracker.update("bad", withIp("not-an-ip"));        // broken again: reported again
    assertEquals(3, tracker.rejected());
  }
}
