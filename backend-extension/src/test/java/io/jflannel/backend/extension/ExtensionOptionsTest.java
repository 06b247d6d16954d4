package io.jflannel.backend.extension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.jflannel.backend.BackendException;
import org.junit.jupiter.api.Test;

class ExtensionOptionsTest {
  static final ObjectMapper JSON = new ObjectMapper();

  static ExtensionOptions parse(String json) throws Exception {
    return ExtensionOptions.parse(JSON.readTree(json));
  }

  @Test
  void keysAreMatchedCaseInsensitivelyAndNullOrAbsentMeansNoCommand() throws Exception {
    ExtensionOptions o = parse("{\"Type\":\"extension\",\"prestartupcommand\":\"cat /x\",\"SUBNETADDCOMMAND\":"
        + "\"ip route replace $SUBNET via $PUBLIC_IP\",\"SubnetRemoveCommand\":null,\"VNI\":3}");
    assertEquals(new ExtensionOptions("cat /x", "", "ip route replace $SUBNET via $PUBLIC_IP", ""), o);
    assertEquals(new ExtensionOptions("", "", "", ""), ExtensionOptions.parse(null));
  }

  /** Bad config values: exit 1 with one line naming the option (robustness.md X-OPTION-*). */
  @Test
  void aNonStringOrBlankCommandIsRefusedNamingTheOption() {
    BackendException e = assertThrows(BackendException.class, () -> parse("{\"SubnetAddCommand\":42}"));
    assertEquals("extension backend option \"SubnetAddCommand\" must be a command line string, got 42", e.getMessage());
    e = assertThrows(BackendException.class, () -> parse("{\"PostStartupCommand\":[\"ip\",\"link\"]}"));
    assertTrue(e.getMessage().startsWith("extension backend option \"PostStartupCommand\" must be a command line"),
        e.getMessage());
    e = assertThrows(BackendException.class, () -> parse("{\"SubnetRemoveCommand\":\"  \\t \"}"));
    assertTrue(e.getMessage().contains("\"SubnetRemoveCommand\" has no program name"), e.getMessage());
    e = assertThrows(BackendException.class, () -> ExtensionOptions.parse(JSON.getNodeFactory().textNode("x")));
    assertTrue(e.getMessage().contains("must be a JSON object"), e.getMessage());
  }
}
