package io.jflannel.lab;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** What the lab needs from the machine, and what is missing. */
public final class LabPrerequisites {
  /** Commands the lab runs. */
  public static final List<String> COMMANDS = List.of("ip", "bridge", "ping", "sysctl", "etcd", "etcdctl");

  private LabPrerequisites() {}

  /** Whether this process runs as root (effective uid 0). */
  public static boolean isRoot() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("Uid:")) {
          return line.split("\\s+")[2].equals("0");
        }
      }
    } catch (IOException e) {
      return false;
    }
    return false;
  }

  /** Missing prerequisites for running labs with {@code cniPath} ({@code store} may be null). */
  public static List<String> missing(Path cniPath, LabStoreKind store) {
    return missing(cniPath, store, false);
  }

  /** As {@link #missing(Path, LabStoreKind)}, with podman when the daemons run from the image. */
  public static List<String> missing(Path cniPath, LabStoreKind store, boolean image) {
    List<String> out = new ArrayList<>();
    if (image && !Exec.onPath("podman")) {
      out.add("command 'podman' (the daemons run from the image)");
    }
    if (!isRoot()) {
      out.add("root (the lab creates network namespaces)");
    }
    for (String c : COMMANDS) {
      if ((c.startsWith("etcd") && store == LabStoreKind.KUBE)) {
        continue;
      }
      if (!Exec.onPath(c)) {
        out.add("command '" + c + "'");
      }
    }
    for (String plugin : List.of("bridge", "host-local")) {
      if (!Files.isExecutable(cniPath.resolve(plugin))) {
        out.add("CNI plugin " + cniPath.resolve(plugin) + " (package containernetworking-plugins)");
      }
    }
    return out;
  }
}
