package io.jflannel.backend.vxlan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jflannel.netlink.MacAddress;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Reading a peer's vxlan backend data (decision 0900). */
class VtepDataTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final MacAddress MAC = MacAddress.parse("2a:95:ed:10:e4:56");

  private static JsonNode json(String text) throws Exception {
    return JSON.readTree(text);
  }

  /** Keys in any case, as Go's encoding/json matches upstream's vxlanLeaseAttrs fields. */
  @ParameterizedTest
  @ValueSource(strings = {"{\"VNI\":7,\"VtepMAC\":\"2a:95:ed:10:e4:56\"}", "{\"vni\":7,\"vtepmac\":\"2a:95:ed:10:e4:56\"}",
      "{\"Vni\":7,\"VTEPMAC\":\"2A:95:ED:10:E4:56\"}", "{\"VNI\":7,\"VtepMAC\":\"2a-95-ed-10-e4-56\"}"})
  void keysMatchInAnyCase(String data) throws Exception {
    assertEquals(new VtepData(7, MAC), VtepData.read(json(data)));
    assertEquals(MAC, VtepData.vtepMac(json(data)));
    assertEquals(Optional.of(MAC), VtepData.restorableMac(json(data)));
  }

  @Test
  void absentVniIsZeroAsUpstreamDecodesIt() throws Exception {
    assertEquals(new VtepData(0, MAC), VtepData.read(json("{\"VtepMAC\":\"2a:95:ed:10:e4:56\"}")));
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "{\"VNI\":1,\"VtepMAC\":\"2a:95:ed:10:e4:56\",\"vtepmac\":\"2a:95:ed:10:e4:57\"}", // ambiguous
      "{\"VNI\":\"1\",\"VtepMAC\":\"2a:95:ed:10:e4:56\"}", "{\"VNI\":-1,\"VtepMAC\":\"2a:95:ed:10:e4:56\"}",
      "{\"VNI\":1.5,\"VtepMAC\":\"2a:95:ed:10:e4:56\"}", "{\"VNI\":16777216,\"VtepMAC\":\"2a:95:ed:10:e4:56\"}",
      "{\"VNI\":true,\"VtepMAC\":\"2a:95:ed:10:e4:56\"}",
      "{\"VNI\":1,\"VtepMAC\":\" 2a:95:ed:10:e4:56\"}", "{\"VNI\":1,\"VtepMAC\":\"2a:95:ed:10:e4:56 \"}",
      "{\"VNI\":1,\"VtepMAC\":\"2a:5:ed:10:e4:56\"}", "{\"VNI\":1,\"VtepMAC\":\"2a:95-ed:10:e4:56\"}",
      "{\"VNI\":1,\"VtepMAC\":\"2a:95:ed:10:e4:56:00\"}", "{\"VNI\":1,\"VtepMAC\":\"2a95.ed10.e456\"}",
      "{\"VNI\":1,\"VtepMAC\":\"2a:95:ed:10:e4:5g\"}", "{\"VNI\":1,\"VtepMAC\":null}", "{\"VNI\":1}", "[1]", "null"})
  void malformedDataIsRefusedSayingWhy(String data) throws Exception {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> VtepData.read(json(data)));
    assertTrue(!e.getMessage().isEmpty());
  }

  @Test
  void ambiguousKeysAreNamed() throws Exception {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> VtepData.vtepMac(
        json("{\"VtepMAC\":\"2a:95:ed:10:e4:56\",\"vtepmac\":\"2a:95:ed:10:e4:57\"}")));
    assertEquals("backend data: keys \"VtepMAC\" and \"vtepmac\" differ only by case", e.getMessage());
  }
}
