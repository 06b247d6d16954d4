package io.jflannel.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.jflannel.netlink.FdbEntry;
import io.jflannel.netlink.MacAddress;
import io.jflannel.netlink.Neigh;
import io.jflannel.netlink.Route;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** PeerObjects is a value of three lists, however it stores them (decision 0855). */
class PeerObjectsTest {
  private static InetAddress ip(String s) throws Exception {
    return InetAddress.getByName(s);
  }

  private static final MacAddress MAC = MacAddress.parse("2a:00:00:00:00:02");

  @Test
  void listsComeBackAsGivenForNoneOneAndSeveral() throws Exception {
    Route r1 = Route.via(ip("10.244.2.0"), 24, ip("10.244.2.0"), 7).onlink();
    Route r2 = Route.via(ip("10.244.3.0"), 24, ip("10.244.3.0"), 7).onlink();
    Neigh n = Neigh.permanent(7, ip("10.244.2.0"), MAC);
    PeerObjects p = new PeerObjects(List.of(n), List.of(), new ArrayList<>(List.of(r1, r2)));
    assertEquals(List.of(n), p.neighs());
    assertEquals(List.of(), p.fdb());
    assertEquals(List.of(r1, r2), p.routes());
    assertThrows(UnsupportedOperationException.class, () -> p.neighs().add(n));
    assertThrows(UnsupportedOperationException.class, () -> p.routes().clear());
    assertEquals("PeerObjects[neighs=" + List.of(n) + ", fdb=[], routes=" + List.of(r1, r2) + "]", p.toString());
  }

  @Test
  void aCopyIsKeptNotTheCallersList() throws Exception {
    Route r1 = Route.via(ip("10.244.2.0"), 24, ip("10.244.2.0"), 7).onlink();
    Route r2 = Route.via(ip("10.244.3.0"), 24, ip("10.244.3.0"), 7).onlink();
    List<Route> mine = new ArrayList<>(List.of(r1, r2));
    PeerObjects p = new PeerObjects(List.of(), List.of(), mine);
    mine.clear();
    assertEquals(List.of(r1, r2), p.routes());
  }

  @Test
  void equalContentIsEqualHowEverItWasBuilt() throws Exception {
    Route r = Route.via(ip("10.244.2.0"), 24, ip("192.0.2.2"), 2);
    FdbEntry f = FdbEntry.permanentSelf(7, MAC, ip("192.0.2.2"));
    PeerObjects a = new PeerObjects(new ArrayList<>(), new ArrayList<>(List.of(f)), new ArrayList<>(List.of(r)));
    PeerObjects b = new PeerObjects(List.of(), List.of(f), List.of(r));
    assertEquals(a, b);
    assertEquals(a.hashCode(), b.hashCode());
    assertEquals(PeerObjects.route(r), new PeerObjects(List.of(), List.of(), List.of(r)));
    assertNotEquals(PeerObjects.route(r), b, "an FDB entry more");
    assertNotEquals(PeerObjects.route(r), PeerObjects.route(Route.via(ip("10.244.2.0"), 24, ip("192.0.2.3"), 2)));
    assertNotEquals(new PeerObjects(List.of(), List.of(), List.of(r, r)), PeerObjects.route(r), "two routes are not one");
  }

  @Test
  void nullObjectsAreRefused() {
    List<Route> withNull = new ArrayList<>();
    withNull.add(null);
    assertThrows(NullPointerException.class, () -> new PeerObjects(List.of(), List.of(), withNull));
    withNull.add(null);
    assertThrows(NullPointerException.class, () -> new PeerObjects(List.of(), List.of(), withNull));
  }
}
