package io.jflannel.daemon.rules;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link TrafficRules} on iptables. Every change is one {@code iptables-restore --noflush
 * --wait} transaction per family: our chains are declared (which creates or flushes them),
 * refilled in order, and the jump from the built-in chain is added only when absent, so rules
 * of other chains are never touched. {@code --wait} honours {@code /run/xtables.lock}.
 */
public final class IptablesTrafficRules implements TrafficRules {
  private static final Logger LOG = LoggerFactory.getLogger(IptablesTrafficRules.class);

  private final List<IptablesChain> desired;
  private final IptablesFlavour flavour;
  private final CommandRunner runner;

  /** Rules for {@code plan}, run through {@code runner} with the unsuffixed iptables commands. */
  public IptablesTrafficRules(RulePlan plan, CommandRunner runner) {
    this(plan, IptablesFlavour.INSTALLED, runner);
  }

  /** Rules for {@code plan}, programmed with {@code flavour}'s commands through {@code runner}. */
  public IptablesTrafficRules(RulePlan plan, IptablesFlavour flavour, CommandRunner runner) {
    this.desired = IptablesRuleSets.render(plan);
    this.flavour = Objects.requireNonNull(flavour, "flavour");
    this.runner = Objects.requireNonNull(runner, "runner");
  }

  /** The flavour whose commands program the rules. */
  public IptablesFlavour flavour() {
    return flavour;
  }

  /** The chains this instance keeps in place. */
  public List<IptablesChain> desired() {
    return desired;
  }

  @Override
  public String kind() {
    return "iptables";
  }

  @Override
  public void apply() {
    byFamily(desired).forEach((family, chains) ->
        restore(family, rebuildPayload(chains, dump(family, tablesOf(chains)))));
  }

  @Override
  public boolean ensure() {
    boolean repaired = false;
    for (Map.Entry<IpFamily, List<IptablesChain>> e : byFamily(desired).entrySet()) {
      IptablesDump dump = dump(e.getKey(), tablesOf(e.getValue()));
      List<String> drift = drift(e.getValue(), dump);
      if (!drift.isEmpty()) {
        LOG.warn("{} rules out of place ({}); rebuilding", flavour.iptables(e.getKey()),
            String.join("; ", drift));
        restore(e.getKey(), rebuildPayload(e.getValue(), dump));
        repaired = true;
      }
    }
    return repaired;
  }

  @Override
  public List<String> drift() {
    List<String> out = new ArrayList<>();
    byFamily(desired).forEach((family, chains) -> {
      IptablesDump dump = IptablesDump.parse(runner.run(List.of(flavour.save(family)), ""));
      drift(chains, dump).forEach(d -> out.add(flavour.iptables(family) + " " + d));
    });
    return out;
  }

  @Override
  public void removeStale(RulePlan previous) {
    List<IptablesChain> old = IptablesRuleSets.render(previous);
    byFamily(old).forEach((family, chains) -> {
      IptablesDump dump = dump(family, tablesOf(chains));
      Map<String, List<String>> deletes = new LinkedHashMap<>();
      for (IptablesChain prev : chains) {
        List<String> lines = deletes.computeIfAbsent(prev.table(), t -> new ArrayList<>());
        IptablesChain now = desired.stream().filter(prev::sameChain).findFirst().orElse(null);
        if (now != null) {
          for (String rule : prev.rules()) {
            if (!now.rules().contains(rule) && dump.count(prev.table(), rule) > 0) {
              lines.add("-D" + rule.substring(2));
            }
          }
        } else if (dump.hasChain(prev.table(), prev.chain())) {
          // The chain is not wanted any more: unhook it, then empty and drop it.
          for (int i = 0; i < dump.count(prev.table(), prev.jumpRule()); i++) {
            lines.add("-D" + prev.jumpRule().substring(2));
          }
          lines.add("-F " + prev.chain());
          lines.add("-X " + prev.chain());
        }
      }
      StringBuilder payload = new StringBuilder();
      deletes.forEach((table, lines) -> {
        if (!lines.isEmpty()) {
          payload.append('*').append(table).append('\n');
          lines.forEach(l -> payload.append(l).append('\n'));
          payload.append("COMMIT\n");
        }
      });
      if (payload.length() > 0) {
        LOG.info("removing {} rules of the previous network/subnet", flavour.iptables(family));
        restore(family, payload.toString());
      }
    });
  }

  /** Human-readable differences between the kernel and {@code chains}; empty when in sync. */
  static List<String> drift(List<IptablesChain> chains, IptablesDump dump) {
    List<String> out = new ArrayList<>();
    for (IptablesChain c : chains) {
      if (!dump.hasChain(c.table(), c.chain())) {
        out.add(c.table() + "/" + c.chain() + " missing");
        continue;
      }
      List<String> actual = dump.rules(c.table(), c.chain());
      if (!actual.equals(c.rules())) {
        out.add(c.table() + "/" + c.chain() + " has " + actual.size() + " rules, "
            + c.rules().size() + " expected in order");
      }
      int jumps = dump.count(c.table(), c.jumpRule());
      if (jumps != 1) {
        out.add(c.table() + "/" + c.parent() + " jumps to " + c.chain() + " " + jumps + " times");
      }
    }
    return out;
  }

  /** The restore payload that makes {@code chains} exact, given the current {@code dump}. */
  static String rebuildPayload(List<IptablesChain> chains, IptablesDump dump) {
    Map<String, List<IptablesChain>> byTable = new LinkedHashMap<>();
    chains.forEach(c -> byTable.computeIfAbsent(c.table(), t -> new ArrayList<>()).add(c));
    StringBuilder p = new StringBuilder();
    byTable.forEach((table, cs) -> {
      p.append('*').append(table).append('\n');
      // Declaring a user chain under --noflush creates it, or flushes it when it exists.
      cs.forEach(c -> p.append(':').append(c.chain()).append(" - [0:0]\n"));
      cs.forEach(c -> c.rules().forEach(r -> p.append(r).append('\n')));
      for (IptablesChain c : cs) {
        int jumps = dump.count(table, c.jumpRule());
        if (jumps == 0) {
          p.append(c.jumpRule()).append('\n');
        }
        for (int i = 1; i < jumps; i++) {
          p.append("-D").append(c.jumpRule().substring(2)).append('\n');
        }
      }
      p.append("COMMIT\n");
    });
    return p.toString();
  }

  /**
   * Removes every flannel chain ({@code FLANNEL-POSTRTG}, {@code FLANNEL-FWD}) that
   * {@code flavour} holds for {@code family}, with every rule of any chain that jumps to it,
   * in one restore transaction; other rules stay. Reads the full listing rather than
   * {@code -t nat}: asking iptables-legacy for a table creates it.
   *
   * @return the removed chains as {@code table/chain}; empty when there was nothing to remove
   */
  public static List<String> removeAll(IptablesFlavour flavour, IpFamily family, CommandRunner runner) {
    return removeAll(flavour, family, runner, false);
  }

  /**
   * {@link #removeAll(IptablesFlavour, IpFamily, CommandRunner)}, or with {@code dryRun} only
   * the listing: what it would remove, with nothing changed ({@code flanneld cleanup --dry-run}).
   */
  public static List<String> removeAll(IptablesFlavour flavour, IpFamily family, CommandRunner runner,
      boolean dryRun) {
    IptablesDump dump = IptablesDump.parse(runner.run(List.of(flavour.save(family)), ""));
    List<String> ourChains = List.of(IptablesRuleSets.MASQ_CHAIN, IptablesRuleSets.FORWARD_CHAIN);
    List<String> removed = new ArrayList<>();
    StringBuilder payload = new StringBuilder();
    for (String table : dump.tableNames()) {
      List<String> present = dump.chains(table).stream().filter(ourChains::contains).toList();
      if (present.isEmpty()) {
        continue;
      }
      payload.append('*').append(table).append('\n');
      for (String chain : dump.chains(table)) {
        if (present.contains(chain)) {
          continue; // flushed below
        }
        for (String rule : dump.rules(table, chain)) {
          if (present.stream().anyMatch(c -> jumpsTo(rule, c))) {
            payload.append("-D").append(rule.substring(2)).append('\n');
          }
        }
      }
      for (String chain : present) {
        payload.append("-F ").append(chain).append('\n');
      }
      for (String chain : present) {
        payload.append("-X ").append(chain).append('\n');
        removed.add(table + "/" + chain);
      }
      payload.append("COMMIT\n");
    }
    if (!removed.isEmpty() && !dryRun) {
      restore(runner, flavour.restore(family), payload.toString());
    }
    return removed;
  }

  private static boolean jumpsTo(String rule, String chain) {
    return rule.endsWith(" -j " + chain) || rule.contains(" -j " + chain + " ")
        || rule.endsWith(" -g " + chain) || rule.contains(" -g " + chain + " ");
  }

  private IptablesDump dump(IpFamily family, List<String> tables) {
    StringBuilder all = new StringBuilder();
    for (String table : tables) {
      all.append(runner.run(List.of(flavour.save(family), "-t", table), ""));
    }
    return IptablesDump.parse(all.toString());
  }

  private void restore(IpFamily family, String payload) {
    restore(runner, flavour.restore(family), payload);
  }

  private static void restore(CommandRunner runner, String command, String payload) {
    LOG.debug("{} --noflush --wait <<\n{}", command, payload);
    runner.run(List.of(command, "--noflush", "--wait"), payload);
  }

  private static List<String> tablesOf(List<IptablesChain> chains) {
    return chains.stream().map(IptablesChain::table).distinct().toList();
  }

  private static Map<IpFamily, List<IptablesChain>> byFamily(List<IptablesChain> chains) {
    Map<IpFamily, List<IptablesChain>> out = new EnumMap<>(IpFamily.class);
    chains.forEach(c -> out.computeIfAbsent(c.family(), f -> new ArrayList<>()).add(c));
    return out;
  }
}
