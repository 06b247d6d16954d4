package io.jflannel.backend.extension;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.jflannel.backend.Backend;
import io.jflannel.backend.BackendContext;
import io.jflannel.backend.BackendException;
import io.jflannel.backend.Network;
import io.jflannel.backend.PeerValidator;
import io.jflannel.subnet.IpLiteral;
import io.jflannel.subnet.Lease;
import io.jflannel.subnet.LeaseAttrs;
import io.jflannel.subnet.NetworkConfig;
import io.jflannel.subnet.SubnetException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The extension backend (docs/compatibility.md#extension-backend): the operator's commands
 * build the dataplane. Start-up runs {@code PreStartupCommand} (its output, a JSON string, is
 * the backend data), acquires the lease with the interface's address (upstream publishes
 * {@code IfaceAddr} here, not {@code --public-ip}) and runs {@code PostStartupCommand}; either
 * failing stops start-up, as upstream. Peers are then served by an {@link ExtensionNetwork}.
 */
public final class ExtensionBackend implements Backend {
  static final String TYPE = "extension";
  /** How long a command may run before it is killed (docs/decisions/1042). */
  static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
  /** Upstream formats an absent IPv6 subnet and address as these (Go's zero IP6Net and a nil pointer). */
  static final String NO_IPV6_SUBNET = "::/0";
  static final String NO_IPV6_ADDRESS = "<nil>";
  private static final Logger LOG = LoggerFactory.getLogger(ExtensionBackend.class);

  private final BackendContext ctx;
  private final Duration timeout;

  public ExtensionBackend(BackendContext ctx) {
    this(ctx, DEFAULT_TIMEOUT);
  }

  ExtensionBackend(BackendContext ctx, Duration timeout) {
    this.ctx = ctx;
    this.timeout = timeout;
  }

  @Override
  public Network registerNetwork(NetworkConfig cfg) throws SubnetException, BackendException {
    ExtensionOptions opts = ExtensionOptions.parse(cfg.backend().options());
    var ext = ctx.extIface();
    if (!cfg.enableIpv4() || cfg.network() == null) {
      throw new BackendException("extension backend: only IPv4 networks are supported so far (Network is not set)");
    }
    if (cfg.enableIpv6()) {
      throw new BackendException("extension backend: IPv6 (EnableIPv6) is not supported yet");
    }
    if (ext.ifaceAddr() == null) {
      throw new BackendException("extension backend: external interface " + ext.name() + " has no IPv4 address");
    }
    Path dir;
    try {
      dir = Files.createTempDirectory("jflannel-extension-"); // owner-only: stdin and output of our commands
    } catch (IOException e) {
      throw new BackendException("extension backend: cannot create a directory for its commands' input and output: "
          + e.getMessage(), e);
    }
    CommandRunner runner = new CommandRunner(dir, timeout, System.getenv());
    try {
      JsonNode data = null;
      if (!opts.preStartup().isEmpty()) {
        data = TextNode.valueOf(startupCommand(runner, ExtensionOptions.PRE, opts.preStartup(), Map.of()));
      } else {
        LOG.info("extension: no {} configured - skipping", ExtensionOptions.PRE);
      }
      Lease lease = ctx.subnets().acquireLease(new LeaseAttrs(ext.ifaceAddr(), null, TYPE, data, null));
      if (!opts.postStartup().isEmpty()) {
        startupCommand(runner, ExtensionOptions.POST, opts.postStartup(), CommandRunner.vars(
            "NETWORK", cfg.network().toString(),
            "SUBNET", lease.subnet().toString(),
            "IPV6SUBNET", NO_IPV6_SUBNET,
            "PUBLIC_IP", IpLiteral.format(ext.ifaceAddr()),
            "PUBLIC_IPV6", NO_IPV6_ADDRESS));
      } else {
        LOG.info("extension: no {} configured - skipping", ExtensionOptions.POST);
      }
      LOG.info("extension: lease {} for {}", lease.subnet(), ext.ifaceAddr().getHostAddress());
      PeerValidator validator = new PeerValidator(cfg.network(), lease.subnet(), TYPE, PeerInput.check());
      return new ExtensionNetwork(ctx, lease, ext.mtu(), validator, opts, runner, dir);
    } catch (BackendException | SubnetException | RuntimeException e) {
      ExtensionNetwork.deleteDir(dir);
      throw e;
    }
  }

  /** Runs a start-up command; its trimmed output, or a BackendException saying how it failed. */
  private String startupCommand(CommandRunner runner, String option, String command, Map<String, String> vars)
      throws BackendException {
    CommandRunner.Result r = runner.run(command, vars, "");
    if (!r.ok()) {
      ctx.listener().commandFailed(ExtensionNetwork.label(option), r.reason());
      throw new BackendException("extension backend: " + option + " " + r.argv() + " " + r.describe());
    }
    LOG.info("extension: ran {} {}, output: {}", option, r.argv(), CommandRunner.tail(r.output()));
    return r.output();
  }
}
