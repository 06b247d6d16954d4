package io.jflannel.backend;

import java.util.Objects;

/**
 * One property of a backend's device as a read-only look found it ({@link Inspection}): what
 * the backend sets it to, what the kernel has, and whether the backend puts it right when they
 * differ (a property it leaves alone, such as a VXLAN device's learning flag, is only worth a
 * warning).
 *
 * @param subject      what the property is, e.g. {@code flannel.1 MTU}
 * @param want         the value the backend sets
 * @param have         the kernel's value ({@code absent} when there is none)
 * @param repaired     whether the backend repairs a difference
 * @param show         the command an operator runs to see it, e.g. {@code ip -d link show flannel.1}
 */
public record DeviceFact(String subject, String want, String have, boolean repaired, String show) {
  public DeviceFact {
    Objects.requireNonNull(subject, "subject");
    Objects.requireNonNull(want, "want");
    Objects.requireNonNull(have, "have");
    Objects.requireNonNull(show, "show");
  }

  /** Whether the kernel has what the backend wants. */
  public boolean matches() {
    return want.equals(have);
  }
}
