package io.jflannel.daemon.rules;

import java.util.ArrayList;
import java.util.List;

/**
 * Renders a {@link RulePlan} into flannel's nftables tables ({@code EnableNFTables}): table
 * {@code ip flannel-ipv4} / {@code ip6 flannel-ipv6} with chain {@code postrtg} (nat,
 * postrouting, srcnat) and chain {@code forward} (filter, forward), holding the same rules as
 * the iptables chains. The text follows {@code nft list table} formatting exactly.
 */
public final class NftRuleSets {
  private NftRuleSets() {}

  /** One table per family that has any rule; none when neither group is enabled. */
  public static List<NftTable> render(RulePlan plan) {
    List<NftTable> out = new ArrayList<>();
    if (!plan.masquerade() && !plan.forward()) {
      return out;
    }
    for (FamilyNets nets : plan.families()) {
      out.add(table(nets, plan));
    }
    return out;
  }

  private static NftTable table(FamilyNets nets, RulePlan plan) {
    IpFamily f = nets.family();
    String ip = f.nftFamily();
    String c = nets.network().toString();
    String p = nets.subnet().toString();
    StringBuilder t = new StringBuilder();
    t.append("table ").append(ip).append(' ').append(f.nftTable()).append(" {\n");
    t.append("\tcomment \"rules for ").append(f.nftTable()).append("\"\n");
    List<String> chains = new ArrayList<>();
    if (plan.masquerade()) {
      String masq = plan.randomFully() ? "masquerade fully-random" : "masquerade";
      chains.add(chain("postrtg", "chain to manage traffic masquerading by flannel",
          "type nat hook postrouting priority srcnat; policy accept;",
          List.of(
              // nft prints the kube-proxy mark test with 32-bit hex constants
              "meta mark & 0x00004000 == 0x00004000 return",
              ip + " saddr " + p + " " + ip + " daddr " + c + " return",
              ip + " saddr " + c + " " + ip + " daddr " + p + " return",
              ip + " saddr != " + c + " " + ip + " daddr " + p + " return",
              ip + " saddr " + c + " " + ip + " daddr != " + f.multicast() + " " + masq,
              ip + " saddr != " + c + " " + ip + " daddr " + c + " " + masq)));
    }
    if (plan.forward()) {
      chains.add(chain("forward", "chain to accept flannel traffic",
          "type filter hook forward priority filter; policy accept;",
          List.of(ip + " saddr " + c + " accept", ip + " daddr " + c + " accept")));
    }
    t.append(String.join("\n", chains));
    t.append("}\n");
    return new NftTable(f, t.toString());
  }

  private static String chain(String name, String comment, String hook, List<String> rules) {
    StringBuilder s = new StringBuilder();
    s.append("\tchain ").append(name).append(" {\n");
    s.append("\t\tcomment \"").append(comment).append("\"\n");
    s.append("\t\t").append(hook).append('\n');
    rules.forEach(r -> s.append("\t\t").append(r).append('\n'));
    s.append("\t}\n");
    return s.toString();
  }
}
