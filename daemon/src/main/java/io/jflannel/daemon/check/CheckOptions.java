package io.jflannel.daemon.check;

import io.jflannel.daemon.flags.FlanneldOptions;
import java.nio.file.Path;
import java.util.Objects;

/**
 * What {@code flanneld check} was asked for: the daemon's own flags (so it reads the same store
 * and config) and its own few.
 *
 * @param flags   the daemon's flags and environment
 * @param json    {@code --output=json}
 * @param probe   {@code --probe}: one ICMP echo per peer
 * @param cniConf {@code --cni-conf}: the CNI config file that must exist
 */
public record CheckOptions(FlanneldOptions flags, boolean json, boolean probe, Path cniConf) {
  /** Where the flannel DaemonSet installs the CNI config. */
  public static final Path DEFAULT_CNI_CONF = Path.of("/etc/cni/net.d/10-flannel.conflist");

  public CheckOptions {
    Objects.requireNonNull(flags, "flags");
    Objects.requireNonNull(cniConf, "cniConf");
  }
}
