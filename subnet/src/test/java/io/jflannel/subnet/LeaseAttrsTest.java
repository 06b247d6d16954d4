package io.jflannel.subnet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.InetAddress;
import org.junit.jupiter.api.Test;

/** LeaseAttrs keeps backend data as compact JSON text (docs/decisions/0843). */
class LeaseAttrsTest {

  private static JsonNode json(String text) throws Exception {
    return JsonTrees.read(text);
  }

  private static LeaseAttrs vxlan(String data) throws Exception {
    return new LeaseAttrs(InetAddress.getByName("192.0.2.1"), null, "vxlan", json(data), null);
  }

  @Test
  void backendDataIsKeptCompactAndReadBackAsAFreshTree() throws Exception {
    LeaseAttrs a = vxlan("{ \"VNI\" : 1,\n \"VtepMAC\" : \"2a:00:00:00:00:0a\" }");
    assertEquals("{\"VNI\":1,\"VtepMAC\":\"2a:00:00:00:00:0a\"}", a.backendDataJson());
    JsonNode first = a.backendData();
    assertEquals("2a:00:00:00:00:0a", first.get("VtepMAC").asText());
    ((ObjectNode) first).put("VtepMAC", "changed by a caller");
    assertNotSame(first, a.backendData());
    assertEquals("2a:00:00:00:00:0a", a.backendData().get("VtepMAC").asText(), "the lease is immutable");
  }

  @Test
  void absentAndJsonNullStayDistinct() throws Exception {
    LeaseAttrs absent = new LeaseAttrs(null, null, "host-gw", null, null);
    LeaseAttrs jsonNull = new LeaseAttrs(null, null, "host-gw", NullNode.getInstance(), null);
    assertNull(absent.backendData());
    assertNull(absent.backendDataJson());
    assertTrue(jsonNull.backendData().isNull());
    assertEquals("null", jsonNull.backendDataJson());
    assertNotEquals(absent, jsonNull);
  }

  @Test
  void equalityFollowsTheTextAndEveryField() throws Exception {
    LeaseAttrs a = vxlan("{\"VNI\":1,\"VtepMAC\":\"2a:00:00:00:00:0a\"}");
    LeaseAttrs spaced = vxlan("{ \"VNI\": 1, \"VtepMAC\": \"2a:00:00:00:00:0a\" }");
    assertEquals(a, spaced);
    assertEquals(a.hashCode(), spaced.hashCode());
    assertNotEquals(a, vxlan("{\"VNI\":1,\"VtepMAC\":\"2a:00:00:00:00:0b\"}"));
    assertNotEquals(a, vxlan("{\"VtepMAC\":\"2a:00:00:00:00:0a\",\"VNI\":1}"), "member order is part of the text");
    assertNotEquals(a, new LeaseAttrs(InetAddress.getByName("192.0.2.2"), null, "vxlan",
        json("{\"VNI\":1,\"VtepMAC\":\"2a:00:00:00:00:0a\"}"), null));
    assertTrue(a.toString().contains("backendData={\"VNI\":1,\"VtepMAC\":\"2a:00:00:00:00:0a\"}"), a.toString());
  }

  @Test
  void addressesOfTheWrongFamilyAreRefused() {
    assertThrows(IllegalArgumentException.class,
        () -> new LeaseAttrs(InetAddress.getByName("2001:db8::1"), null, "vxlan", null, null));
    assertThrows(IllegalArgumentException.class,
        () -> new LeaseAttrs(null, InetAddress.getByName("192.0.2.1"), "vxlan", null, null));
  }
}
