package io.jflannel.backend.extension;

import com.fasterxml.jackson.databind.JsonNode;
import io.jflannel.backend.BackendException;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;

/**
 * The extension backend's options of net-conf.json's {@code Backend} object, keys matched
 * case-insensitively as upstream's decoder does. Each is a command line ({@link CommandLine}),
 * empty when not set. Upstream has no IPv6 variants of them.
 *
 * @param preStartup   {@code PreStartupCommand}: run before the lease; its output is the backend data
 * @param postStartup  {@code PostStartupCommand}: run after the lease, with the own subnet
 * @param subnetAdd    {@code SubnetAddCommand}: run for every peer added or changed
 * @param subnetRemove {@code SubnetRemoveCommand}: run for every peer removed
 */
record ExtensionOptions(String preStartup, String postStartup, String subnetAdd, String subnetRemove) {
  static final String PRE = "PreStartupCommand";
  static final String POST = "PostStartupCommand";
  static final String ADD = "SubnetAddCommand";
  static final String REMOVE = "SubnetRemoveCommand";

  /**
   * Reads the options; a missing or null object gives no commands.
   *
   * @throws BackendException naming the option when its value is not a string, or a string
   *     with no program name in it (upstream would crash when it runs such a command)
   */
  static ExtensionOptions parse(JsonNode backend) throws BackendException {
    String pre = "";
    String post = "";
    String add = "";
    String remove = "";
    if (backend != null && backend.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = backend.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> f = it.next();
        switch (f.getKey().toLowerCase(Locale.ROOT)) {
          case "prestartupcommand" -> pre = command(f.getKey(), f.getValue());
          case "poststartupcommand" -> post = command(f.getKey(), f.getValue());
          case "subnetaddcommand" -> add = command(f.getKey(), f.getValue());
          case "subnetremovecommand" -> remove = command(f.getKey(), f.getValue());
          default -> {
            // Type and options of other backends: not ours to judge.
          }
        }
      }
    } else if (backend != null && !backend.isNull() && !backend.isMissingNode()) {
      throw new BackendException("extension backend config must be a JSON object, got " + backend);
    }
    return new ExtensionOptions(pre, post, add, remove);
  }

  private static String command(String key, JsonNode v) throws BackendException {
    if (v.isNull()) {
      return ""; // Go leaves the string empty for a JSON null
    }
    if (!v.isTextual()) {
      throw new BackendException("extension backend option \"" + key + "\" must be a command line string, got " + v);
    }
    String text = v.textValue();
    if (!text.isEmpty() && CommandLine.fields(text).isEmpty()) {
      throw new BackendException("extension backend option \"" + key + "\" has no program name (only white space): "
          + v);
    }
    return text;
  }
}
