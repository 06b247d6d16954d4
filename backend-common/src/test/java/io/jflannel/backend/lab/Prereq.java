package io.jflannel.backend.lab;

import io.jflannel.netlink.testing.Prerequisites;

/** Kernel-test prerequisites (skip, or fail under {@code CI=true}), on top of the netlink test-jar's. */
public final class Prereq {
  private Prereq() {
  }

  /** Root plus every command named. */
  public static void requireRootAndCommands(String... commands) {
    Prerequisites.requireRoot();
    for (String c : commands) {
      Prerequisites.requireCommand(c);
    }
  }
}
