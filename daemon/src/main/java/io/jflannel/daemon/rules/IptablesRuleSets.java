package io.jflannel.daemon.rules;

import java.util.ArrayList;
import java.util.List;

/**
 * Renders a {@link RulePlan} into flannel's iptables chains
 * (docs/compatibility.md#masquerade-and-forward-rules): the masquerade chain
 * {@code nat/FLANNEL-POSTRTG} and the forward chain {@code filter/FLANNEL-FWD}, per family.
 */
public final class IptablesRuleSets {
  /** Chain holding the masquerade rules, in table {@code nat}. */
  public static final String MASQ_CHAIN = "FLANNEL-POSTRTG";
  /** Chain holding the forward rules, in table {@code filter}. */
  public static final String FORWARD_CHAIN = "FLANNEL-FWD";
  /** kube-proxy marks packets it will masquerade itself; flannel must not do it twice. */
  static final String KUBE_PROXY_MARK = "0x4000/0x4000";

  private IptablesRuleSets() {}

  /** All chains the plan wants, IPv4 before IPv6, masquerade before forward. */
  public static List<IptablesChain> render(RulePlan plan) {
    List<IptablesChain> out = new ArrayList<>();
    for (FamilyNets nets : plan.families()) {
      if (plan.masquerade()) {
        out.add(masquerade(nets, plan.randomFully()));
      }
      if (plan.forward()) {
        out.add(forward(nets));
      }
    }
    return out;
  }

  /** The masquerade chain for cluster network C and own subnet P. */
  public static IptablesChain masquerade(FamilyNets nets, boolean randomFully) {
    String c = nets.network().toString();
    String p = nets.subnet().toString();
    String comment = "flanneld masq";
    String tail = " -m comment --comment \"" + comment + "\" -j ";
    String masq = "MASQUERADE" + (randomFully ? " --random-fully" : "");
    String a = "-A " + MASQ_CHAIN + " ";
    List<String> rules = List.of(
        a + "-m mark --mark " + KUBE_PROXY_MARK + tail + "RETURN",
        // traffic inside the overlay keeps its pod source address
        a + "-s " + p + " -d " + c + tail + "RETURN",
        a + "-s " + c + " -d " + p + tail + "RETURN",
        // external traffic arriving for our own pods is not rewritten either
        a + "! -s " + c + " -d " + p + tail + "RETURN",
        a + "-s " + c + " ! -d " + nets.family().multicast() + tail + masq,
        a + "! -s " + c + " -d " + c + tail + masq);
    return new IptablesChain(nets.family(), "nat", "POSTROUTING", MASQ_CHAIN, comment, rules);
  }

  /** The forward chain accepting everything from or to cluster network C. */
  public static IptablesChain forward(FamilyNets nets) {
    String c = nets.network().toString();
    String comment = "flanneld forward";
    String tail = " -m comment --comment \"" + comment + "\" -j ACCEPT";
    List<String> rules = List.of(
        "-A " + FORWARD_CHAIN + " -s " + c + tail,
        "-A " + FORWARD_CHAIN + " -d " + c + tail);
    return new IptablesChain(nets.family(), "filter", "FORWARD", FORWARD_CHAIN, comment, rules);
  }
}
