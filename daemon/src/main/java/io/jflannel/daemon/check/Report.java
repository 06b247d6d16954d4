package io.jflannel.daemon.check;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Locale;

/** The findings as text (one line each and a summary) or as JSON, and the exit status. */
final class Report {
  private final List<Finding> findings;

  Report(List<Finding> findings) {
    this.findings = List.copyOf(findings);
  }

  long count(Finding.Level level) {
    return findings.stream().filter(f -> f.level() == level).count();
  }

  /** 0 when nothing FAILs, 1 otherwise. */
  int status() {
    return count(Finding.Level.FAIL) == 0 ? 0 : 1;
  }

  String summary() {
    return count(Finding.Level.OK) + " OK, " + count(Finding.Level.WARN) + " WARN, " + count(Finding.Level.FAIL)
        + " FAIL";
  }

  String text() {
    StringBuilder sb = new StringBuilder();
    findings.forEach(f -> sb.append(f.line()).append('\n'));
    sb.append("flanneld check: ").append(summary()).append('\n');
    return sb.toString();
  }

  String json() {
    ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    ObjectNode root = mapper.createObjectNode();
    ArrayNode list = root.putArray("findings");
    for (Finding f : findings) {
      ObjectNode n = list.addObject();
      n.put("level", f.level().name());
      n.put("subject", f.subject());
      n.put("detail", f.detail());
      if (!f.see().isEmpty()) {
        n.put("see", f.see());
      }
      if (!f.hint().isEmpty()) {
        n.put("hint", f.hint());
      }
    }
    ObjectNode counts = root.putObject("counts");
    for (Finding.Level l : Finding.Level.values()) {
      counts.put(l.name().toLowerCase(Locale.ROOT), count(l));
    }
    root.put("status", status());
    try {
      return mapper.writeValueAsString(root) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot render the report as JSON", e);
    }
  }
}
