package io.jflannel.daemon.rules;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link TrafficRules} on nftables. Each change is one {@code nft -f -} script that creates,
 * deletes and recreates our tables inside a single transaction, so the kernel never sees a
 * half-built table and other tables are untouched.
 */
public final class NftTrafficRules implements TrafficRules {
  private static final Logger LOG = LoggerFactory.getLogger(NftTrafficRules.class);

  private final List<NftTable> desired;
  private final CommandRunner runner;

  /** Rules for {@code plan}, run through {@code runner}. */
  public NftTrafficRules(RulePlan plan, CommandRunner runner) {
    this.desired = NftRuleSets.render(plan);
    this.runner = Objects.requireNonNull(runner, "runner");
  }

  /** The tables this instance keeps in place. */
  public List<NftTable> desired() {
    return desired;
  }

  @Override
  public String kind() {
    return "nftables";
  }

  @Override
  public void apply() {
    replace(desired);
  }

  @Override
  public boolean ensure() {
    Set<String> present = presentTables();
    List<NftTable> drifted = new ArrayList<>();
    for (NftTable t : desired) {
      Optional<String> listing = present.contains(t.qualifiedName())
          ? Optional.of(runner.run(List.of("nft", "list", "table", t.family().nftFamily(),
              t.family().nftTable()), ""))
          : Optional.empty();
      if (listing.isEmpty() || !NftTable.significant(listing.get()).equals(t.significantLines())) {
        LOG.warn("nft table {} {}; rebuilding", t.qualifiedName(),
            listing.isEmpty() ? "missing" : "differs from the plan");
        drifted.add(t);
      }
    }
    if (!drifted.isEmpty()) {
      replace(drifted);
    }
    return !drifted.isEmpty();
  }

  @Override
  public List<String> drift() {
    Set<String> present = presentTables();
    List<String> out = new ArrayList<>();
    for (NftTable t : desired) {
      if (!present.contains(t.qualifiedName())) {
        out.add("nft table " + t.qualifiedName() + " missing");
      } else {
        List<String> have = NftTable.significant(runner.run(List.of("nft", "list", "table", t.family().nftFamily(),
            t.family().nftTable()), ""));
        if (!have.equals(t.significantLines())) {
          out.add("nft table " + t.qualifiedName() + " differs from the plan" + difference(t.significantLines(), have));
        }
      }
    }
    return out;
  }

  /** The lines the plan has and the table lacks, and the reverse; only the order when neither. */
  static String difference(List<String> want, List<String> have) {
    List<String> missing = want.stream().filter(l -> !have.contains(l)).map(l -> "'" + l + "'").toList();
    List<String> extra = have.stream().filter(l -> !want.contains(l)).map(l -> "'" + l + "'").toList();
    List<String> parts = new ArrayList<>();
    if (!missing.isEmpty()) {
      parts.add("missing " + String.join(", ", missing));
    }
    if (!extra.isEmpty()) {
      parts.add("not in the plan " + String.join(", ", extra));
    }
    return parts.isEmpty() ? " (the same lines in another order)" : ": " + String.join("; ", parts);
  }

  @Override
  public void removeStale(RulePlan previous) {
    Set<String> wanted = desired.stream().map(NftTable::qualifiedName).collect(Collectors.toSet());
    Set<String> present = presentTables();
    StringBuilder script = new StringBuilder();
    for (NftTable old : NftRuleSets.render(previous)) {
      // Tables still wanted are replaced whole by apply(); only drop the unwanted ones.
      if (!wanted.contains(old.qualifiedName()) && present.contains(old.qualifiedName())) {
        script.append("delete table ").append(old.qualifiedName()).append('\n');
      }
    }
    if (script.length() > 0) {
      LOG.info("removing nft tables of the previous configuration");
      runner.run(List.of("nft", "-f", "-"), script.toString());
    }
  }

  /**
   * Deletes flannel's nft tables ({@code ip flannel-ipv4}, {@code ip6 flannel-ipv6}) where
   * present, in one transaction; other tables stay.
   *
   * @return the deleted tables as nft names them; empty when there was none
   */
  public static List<String> removeAll(CommandRunner runner) {
    return removeAll(runner, false);
  }

  /**
   * {@link #removeAll(CommandRunner)}, or with {@code dryRun} only the listing: what it would
   * delete, with nothing changed ({@code flanneld cleanup --dry-run}).
   */
  public static List<String> removeAll(CommandRunner runner, boolean dryRun) {
    Set<String> present = presentTables(runner);
    List<String> deleted = new ArrayList<>();
    StringBuilder script = new StringBuilder();
    for (IpFamily f : IpFamily.values()) {
      String name = f.nftFamily() + " " + f.nftTable();
      if (present.contains(name)) {
        script.append("delete table ").append(name).append('\n');
        deleted.add(name);
      }
    }
    if (!deleted.isEmpty() && !dryRun) {
      runner.run(List.of("nft", "-f", "-"), script.toString());
    }
    return deleted;
  }

  /** The script that atomically replaces {@code tables}. */
  static String replaceScript(List<NftTable> tables) {
    StringBuilder s = new StringBuilder();
    for (NftTable t : tables) {
      // "table" first so the "delete" cannot fail on a fresh machine; all in one transaction.
      s.append("table ").append(t.qualifiedName()).append('\n');
      s.append("delete table ").append(t.qualifiedName()).append('\n');
      s.append(t.text());
    }
    return s.toString();
  }

  private void replace(List<NftTable> tables) {
    if (!tables.isEmpty()) {
      runner.run(List.of("nft", "-f", "-"), replaceScript(tables));
    }
  }

  private Set<String> presentTables() {
    return presentTables(runner);
  }

  private static Set<String> presentTables(CommandRunner runner) {
    String out = runner.run(List.of("nft", "list", "tables"), "");
    return NftTable.significant(out).stream()
        .filter(l -> l.startsWith("table "))
        .map(l -> l.substring("table ".length()))
        .collect(Collectors.toSet());
  }
}
