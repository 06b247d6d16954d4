package io.jflannel.backend;

import io.jflannel.netlink.NetlinkException;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * The accepted peers the kernel refused, remembered across passes so that a peer is logged
 * when it starts failing (or fails with another error) and when it recovers, not on every
 * retry (docs/decisions/0962). Not thread-safe; the network's pass lock guards it.
 */
final class FailingPeers {
  private final Map<String, Failure> failing = new HashMap<>();

  /**
   * A failing peer.
   *
   * @param error    the kernel's answer to its first failed request, as the log shows it
   * @param attempts passes in a row that failed it
   */
  record Failure(String error, int attempts) {
  }

  /**
   * What changed with one pass.
   *
   * @param started   peers that failed anew or with another error, with the error (key order)
   * @param recovered peers programmed again, with the number of passes that had failed them (key order)
   */
  record Changes(Map<String, String> started, Map<String, Integer> recovered) {
    boolean isEmpty() {
      return started.isEmpty() && recovered.isEmpty();
    }
  }

  /**
   * Takes the outcome of one pass.
   *
   * @param failed  the peers the pass left unprogrammed, with the error
   * @param covered whether the pass looked at a peer (a full pass looks at every wanted peer)
   * @param wanted  whether a key is still an accepted peer (a failing peer that left is forgotten)
   */
  Changes record(Map<String, NetlinkException> failed, Predicate<String> covered, Predicate<String> wanted) {
    Map<String, String> started = new TreeMap<>();
    Map<String, Integer> recovered = new TreeMap<>();
    for (Iterator<Map.Entry<String, Failure>> it = failing.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<String, Failure> e = it.next();
      String key = e.getKey();
      if (failed.containsKey(key)) {
        continue;
      }
      if (!wanted.test(key)) {
        it.remove();
      } else if (covered.test(key)) {
        recovered.put(key, e.getValue().attempts());
        it.remove();
      }
    }
    failed.forEach((key, err) -> {
      String msg = err.getMessage();
      Failure before = failing.get(key);
      if (before == null || !Objects.equals(before.error(), msg)) {
        started.put(key, msg);
      }
      failing.put(key, new Failure(msg, before == null ? 1 : before.attempts() + 1));
    });
    return new Changes(started, recovered);
  }

  /** How many peers are failing. */
  int size() {
    return failing.size();
  }

  /** The failing peers with their last error (a copy, key order). */
  Map<String, Failure> snapshot() {
    return new LinkedHashMap<>(new TreeMap<>(failing));
  }
}
