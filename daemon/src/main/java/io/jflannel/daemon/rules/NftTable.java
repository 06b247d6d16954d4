package io.jflannel.daemon.rules;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One of flannel's nftables tables, rendered exactly as {@code nft list table} prints it, so
 * the same text is both the input script and the expected listing.
 *
 * @param family address family (nft family {@code ip} or {@code ip6})
 * @param text the full {@code table ... { ... }} block
 */
public record NftTable(IpFamily family, String text) {
  public NftTable {
    Objects.requireNonNull(family, "family");
    Objects.requireNonNull(text, "text");
  }

  /** {@code ip flannel-ipv4} / {@code ip6 flannel-ipv6}: how nft commands name the table. */
  public String qualifiedName() {
    return family.nftFamily() + " " + family.nftTable();
  }

  /** The significant lines (trimmed, blank lines dropped) for comparison with a listing. */
  public List<String> significantLines() {
    return significant(text);
  }

  static List<String> significant(String listing) {
    return Arrays.stream(listing.split("\n")).map(String::strip).filter(s -> !s.isEmpty()).toList();
  }
}
