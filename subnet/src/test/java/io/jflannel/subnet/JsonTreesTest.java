package io.jflannel.subnet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.StringWriter;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** JsonTrees against the ObjectMapper it replaces (same features), document by document. */
class JsonTreesTest {
  private static final ObjectMapper REFERENCE = new ObjectMapper()
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

  @ParameterizedTest
  @ValueSource(strings = {
      "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"vxlan\",\"VNI\":1,\"Port\":8472}}",
      "{\"PublicIP\":\"192.0.2.1\",\"PublicIPv6\":null,\"BackendType\":\"vxlan\","
          + "\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"02:00:00:00:00:01\"}}",
      " { \"a\" : [ 1 , -2 , 3.5 , 1e3 , -0.0 , true , false , null , \"x\" , [ ] , { } ] } ",
      "{\"int\":2147483647,\"long\":2147483648,\"big\":123456789012345678901234567890,\"neg\":-9223372036854775809}",
      "{\"esc\":\"tab\\tquote\\\"slash\\\\u\\u00e9\\ud83d\\ude00\",\"\":\"empty key\"}",
      "[1,[2,[3,[4]]]]",
      "\"just a string\"",
      "42",
      "null",
      "{\"Backend\":{\"Type\":\"host-gw\",\"DirectRouting\":true,\"f\":1.25E-7}}",
  })
  void treesEqualTheMappers(String json) throws Exception {
    JsonNode ours = JsonTrees.read(json);
    JsonNode ref = REFERENCE.readTree(json);
    assertEquals(ref, ours);
    assertEquals(ref.getNodeType(), ours.getNodeType());
    StringWriter out = new StringWriter();
    try (var g = JsonTrees.generator(out)) {
      JsonTrees.write(g, ours);
    }
    assertEquals(REFERENCE.writeValueAsString(ref), out.toString());
  }

  @Test
  void numbersKeepTheMappersTypes() throws Exception {
    JsonNode n = JsonTrees.read("[1,2147483648,123456789012345678901234567890,1.5]");
    for (int i = 0; i < n.size(); i++) {
      assertEquals(REFERENCE.readTree("[1,2147483648,123456789012345678901234567890,1.5]").get(i).numberType(),
          n.get(i).numberType(), "element " + i);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "{\"a\":1} trailing",
      "{\"a\":1}{\"b\":2}",
      "{\"a\":1,\"a\":2}",
      "{\"a\":1",
      "{\"a\":}",
      "[1,2",
      "{a:1}",
      "nul",
  })
  void whatTheMapperRefusesIsRefused(String json) {
    assertThrows(JsonProcessingException.class, () -> REFERENCE.readTree(json));
    assertThrows(JsonProcessingException.class, () -> JsonTrees.read(json));
  }

  @Test
  void blankTextHasNoValue() throws Exception {
    assertNull(JsonTrees.read("   "));
  }

  /** Runs {@code r} on a thread with the daemon's 256 KB stack (launcher flag -Xss256k). */
  private static Throwable onSmallStack(java.util.concurrent.Callable<?> r) throws Exception {
    Throwable[] thrown = new Throwable[1];
    Thread t = new Thread(null, () -> {
      try {
        r.call();
      } catch (Throwable e) {
        thrown[0] = e;
      }
    }, "small-stack", 256 * 1024);
    t.start();
    t.join();
    return thrown[0];
  }

  @Test
  void deepNestingIsRefusedWithoutOverflowingASmallStack() throws Exception {
    String deep = "{\"a\":" + "[".repeat(50_000) + "]".repeat(50_000) + "}";
    Throwable t = onSmallStack(() -> JsonTrees.read(deep));
    assertTrue(t instanceof JsonProcessingException, "got " + t);
    assertTrue(t.getMessage().contains("nesting depth"), t.getMessage());
  }

  @Test
  void nestingTheParserAllowsIsBuiltOnASmallStack() throws Exception {
    String json = "[".repeat(999) + "1" + "]".repeat(999);
    JsonNode[] got = new JsonNode[1];
    assertNull(onSmallStack(() -> got[0] = JsonTrees.read(json)));
    assertEquals(REFERENCE.readTree(json), got[0]);
  }
}
