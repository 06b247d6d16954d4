package io.jflannel.lab;

import java.util.ArrayList;
import java.util.List;

/**
 * Who reaches whom: {@code ok[i][j]} is true when pod i reached pod j.
 *
 * @param pods the pods, in row/column order
 * @param ok the results (the diagonal is true)
 */
public record ReachabilityMatrix(List<Pod> pods, boolean[][] ok) {

  /** Whether every pod reached every other pod. */
  public boolean allReachable() {
    return failures().isEmpty();
  }

  /** "from -> to" for every pair that failed. */
  public List<String> failures() {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < pods.size(); i++) {
      for (int j = 0; j < pods.size(); j++) {
        if (!ok[i][j]) {
          out.add(pods.get(i).name() + " (" + pods.get(i).ip() + ") -> " + pods.get(j).name()
              + " (" + pods.get(j).ip() + ")");
        }
      }
    }
    return out;
  }

  /** The matrix as a text grid: rows ping columns; {@code ok}, {@code --} (failed), {@code .}. */
  public String render() {
    int w = 6;
    for (Pod p : pods) {
      w = Math.max(w, p.name().length() + 1);
    }
    StringBuilder sb = new StringBuilder();
    sb.append(pad("from\\to", w));
    for (Pod p : pods) {
      sb.append(pad(p.name(), w));
    }
    sb.append('\n');
    for (int i = 0; i < pods.size(); i++) {
      sb.append(pad(pods.get(i).name(), w));
      for (int j = 0; j < pods.size(); j++) {
        sb.append(pad(i == j ? "." : ok[i][j] ? "ok" : "--", w));
      }
      sb.append('\n');
    }
    int total = pods.size() * (pods.size() - 1);
    sb.append(total - failures().size()).append('/').append(total).append(" pairs reachable\n");
    return sb.toString();
  }

  private static String pad(String s, int w) {
    return s.length() >= w ? s + " " : s + " ".repeat(w - s.length());
  }
}
