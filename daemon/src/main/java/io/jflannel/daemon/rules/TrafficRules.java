package io.jflannel.daemon.rules;

import java.util.List;

/**
 * Flannel's masquerade and forward rules in the kernel, kept equal to one {@link RulePlan}.
 * Implementations: {@link IptablesTrafficRules} (iptables-restore) and {@link NftTrafficRules}
 * ({@code nft -f -}), made by {@link RuleTools#create}. Every verb runs its tools through a
 * {@link CommandRunner}.
 */
public interface TrafficRules {

  /** Installs the plan's rules, replacing whatever our chains/tables held, in exact order. */
  void apply();

  /**
   * Compares the kernel with the plan and rebuilds, in order, whatever differs.
   *
   * @return true when something was missing or different and has been rebuilt
   */
  boolean ensure();

  /**
   * Removes rules a previous run installed from an older plan (the networks of the previous
   * subnet.env) that the current plan does not want. Call before {@link #apply()}.
   */
  void removeStale(RulePlan previous);

  /**
   * Compares the kernel with the plan and changes nothing ({@code flanneld check}): what
   * {@link #ensure()} would rebuild, one line per difference; empty when in sync. Reads the
   * full listing rather than one table, since asking iptables-legacy for a table creates it.
   */
  List<String> drift();

  /** {@code iptables} or {@code nftables}: names the mechanism in logs and metric tags. */
  String kind();
}
