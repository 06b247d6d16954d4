package io.jflannel.backend.extension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Splitting and expansion as upstream's strings.Fields and os.Expand do them. */
class CommandLineTest {
  static final Map<String, String> VARS = Map.of("SUBNET", "10.244.2.0/24", "PUBLIC_IP", "192.0.2.2", "1", "one",
      "A_B", "ab");

  @Test
  void splitsOnRunsOfWhiteSpaceIncludingGoSpacesJavaDoesNotTrim() {
    assertEquals(List.of("ip", "route", "replace", "x"), CommandLine.fields("  ip\troute \n replace\u00a0x\u2003"));
    assertEquals(List.of(), CommandLine.fields(" \t\n"));
    assertEquals(List.of("a\u001cb"), CommandLine.fields("a\u001cb"), "U+001C is no space to Go");
    assertEquals("out put", CommandLine.trim("\u00a0 out put\n\u0085"));
  }

  @Test
  void expandsBothFormsAndLeavesQuotesAndShellSyntaxAlone() {
    assertEquals(List.of("ip", "route", "replace", "10.244.2.0/24", "via", "192.0.2.2"),
        CommandLine.argv("ip route replace $SUBNET via ${PUBLIC_IP}", VARS));
    assertEquals(List.of("\"10.244.2.0/24\"", "&&", "a;b", "|"), CommandLine.argv("\"$SUBNET\" && a;b |", VARS));
  }

  @Test
  void expansionEdgeCasesFollowOsExpand() {
    assertEquals("", CommandLine.expand("$UNKNOWN", VARS));
    assertEquals("xSUBNET", CommandLine.expand("x${SUBNET", VARS), "unclosed ${ is eaten");
    assertEquals("xy", CommandLine.expand("x${}y", VARS), "${} is eaten");
    assertEquals("cost$", CommandLine.expand("cost$", VARS), "a trailing $ stays");
    assertEquals("$/x", CommandLine.expand("$/x", VARS), "$ before a non-name stays");
    assertEquals("one", CommandLine.expand("$1", VARS));
    assertEquals("oneX", CommandLine.expand("${1}X", VARS));
    assertEquals("ab-x", CommandLine.expand("$A_B-x", VARS));
    assertEquals("", CommandLine.expand("$$", VARS), "$$ names the variable \"$\"");
  }

  @Test
  void aValueWithSpacesStaysOneArgument() {
    assertEquals(List.of("echo", "a b"), CommandLine.argv("echo $V", Map.of("V", "a b")));
  }

  @Test
  void noProgramIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> CommandLine.argv("   ", VARS));
  }
}
