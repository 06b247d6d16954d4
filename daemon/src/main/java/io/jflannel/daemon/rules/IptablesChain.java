package io.jflannel.daemon.rules;

import java.util.List;
import java.util.Objects;

/**
 * One chain of flannel's iptables rules: its rules in order, and the jump that hooks it into
 * a built-in chain. Rules are kept in the exact form {@code iptables-save} prints, so the
 * rendered set can be compared line by line with the kernel's.
 *
 * @param family IPv4 (iptables) or IPv6 (ip6tables)
 * @param table {@code nat} or {@code filter}
 * @param parent built-in chain that jumps to ours ({@code POSTROUTING}, {@code FORWARD})
 * @param chain our chain ({@code FLANNEL-POSTRTG}, {@code FLANNEL-FWD})
 * @param comment the comment every rule carries
 * @param rules the chain's rules, each a full {@code -A CHAIN ...} line
 */
public record IptablesChain(
    IpFamily family, String table, String parent, String chain, String comment,
    List<String> rules) {

  public IptablesChain {
    Objects.requireNonNull(family, "family");
    Objects.requireNonNull(table, "table");
    Objects.requireNonNull(parent, "parent");
    Objects.requireNonNull(chain, "chain");
    Objects.requireNonNull(comment, "comment");
    rules = List.copyOf(rules);
  }

  /** The rule in {@link #parent} that sends every packet through our chain. */
  public String jumpRule() {
    return "-A " + parent + " -m comment --comment \"" + comment + "\" -j " + chain;
  }

  /** The jump rule followed by the chain's rules: the golden-file form. */
  public List<String> lines() {
    List<String> out = new java.util.ArrayList<>(rules.size() + 1);
    out.add(jumpRule());
    out.addAll(rules);
    return out;
  }

  /** True when {@code other} is the same chain of the same table and family. */
  public boolean sameChain(IptablesChain other) {
    return family == other.family && table.equals(other.table) && chain.equals(other.chain);
  }
}
