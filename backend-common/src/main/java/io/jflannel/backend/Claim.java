package io.jflannel.backend;

/**
 * An exclusive claim of a peer, such as vxlan's VTEP MAC: equal claims clash, and the text
 * ({@code "VtepMAC 2a:..."}) names it in a rejection. Kept per accepted peer, so it holds the
 * value itself rather than a formatted string (decision 0846).
 *
 * @param kind  what is claimed ({@code VtepMAC})
 * @param value the claimed value; its {@code equals} decides a clash
 */
public record Claim(String kind, Object value) {
  @Override
  public String toString() {
    return kind + " " + value;
  }
}
