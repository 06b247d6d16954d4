package io.jflannel.netlink;

import java.util.List;

/**
 * Outcome of {@link Netlink#apply(List)}: how many requests the kernel acknowledged, and
 * every failed one with its position in the input list.
 *
 * @param succeeded number of acknowledged requests
 * @param failures  failed requests in input order
 */
public record BatchResult(int succeeded, List<OpFailure> failures) {
  public BatchResult {
    failures = List.copyOf(failures);
  }

  /** True when every request succeeded. */
  public boolean ok() {
    return failures.isEmpty();
  }

  /** Throws the first failure (others attached as suppressed) unless every request succeeded. */
  public void throwIfFailed() throws NetlinkException {
    if (failures.isEmpty()) {
      return;
    }
    NetlinkException first = failures.get(0).error();
    for (int i = 1; i < failures.size() && i < 20; i++) {
      first.addSuppressed(failures.get(i).error());
    }
    throw first;
  }
}
