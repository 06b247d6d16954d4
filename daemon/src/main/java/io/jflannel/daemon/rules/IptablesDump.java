package io.jflannel.daemon.rules;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The parsed output of {@code iptables-save}: for each table, its chains and their rules in
 * order, each rule as the exact {@code -A CHAIN ...} line.
 */
public final class IptablesDump {
  private final Map<String, Map<String, List<String>>> tables;

  private IptablesDump(Map<String, Map<String, List<String>>> tables) {
    this.tables = tables;
  }

  /**
   * Parses {@code iptables-save} output.
   *
   * @throws IllegalArgumentException naming the line when a rule precedes its table header
   *     or names an undeclared chain
   */
  public static IptablesDump parse(String saveOutput) {
    Map<String, Map<String, List<String>>> tables = new LinkedHashMap<>();
    Map<String, List<String>> current = null;
    int lineNo = 0;
    for (String raw : saveOutput.split("\n", -1)) {
      lineNo++;
      String line = raw.stripTrailing();
      if (line.isEmpty() || line.startsWith("#") || line.equals("COMMIT")) {
        continue;
      }
      if (line.startsWith("*")) {
        current = tables.computeIfAbsent(line.substring(1), t -> new LinkedHashMap<>());
      } else if (current == null) {
        throw new IllegalArgumentException(
            "iptables-save line " + lineNo + " outside of a table: " + line);
      } else if (line.startsWith(":")) {
        int space = line.indexOf(' ');
        current.putIfAbsent(space < 0 ? line.substring(1) : line.substring(1, space),
            new ArrayList<>());
      } else if (line.startsWith("-A ")) {
        int end = line.indexOf(' ', 3);
        String chain = end < 0 ? line.substring(3) : line.substring(3, end);
        List<String> rules = current.get(chain);
        if (rules == null) {
          throw new IllegalArgumentException(
              "iptables-save line " + lineNo + " appends to undeclared chain " + chain);
        }
        rules.add(line);
      }
    }
    return new IptablesDump(tables);
  }

  /** True when {@code table} declares {@code chain}. */
  public boolean hasChain(String table, String chain) {
    return tables.getOrDefault(table, Map.of()).containsKey(chain);
  }

  /** The rules of a chain in order, empty when the chain does not exist. */
  public List<String> rules(String table, String chain) {
    return List.copyOf(tables.getOrDefault(table, Map.of()).getOrDefault(chain, List.of()));
  }

  /** How many times the exact rule line occurs in its chain. */
  public int count(String table, String ruleLine) {
    int end = ruleLine.indexOf(' ', 3);
    String chain = ruleLine.substring(3, end < 0 ? ruleLine.length() : end);
    return (int) rules(table, chain).stream().filter(ruleLine::equals).count();
  }

  /** The tables the dump holds, in dump order. */
  public List<String> tableNames() {
    return List.copyOf(tables.keySet());
  }

  /** The chains {@code table} declares, in dump order; empty when the table is absent. */
  public List<String> chains(String table) {
    return List.copyOf(tables.getOrDefault(table, Map.of()).keySet());
  }

  /** Every rule line of a table, chain by chain, for tests and diagnostics. */
  public Optional<List<String>> table(String table) {
    Map<String, List<String>> chains = tables.get(table);
    if (chains == null) {
      return Optional.empty();
    }
    List<String> out = new ArrayList<>();
    chains.values().forEach(out::addAll);
    return Optional.of(out);
  }
}
