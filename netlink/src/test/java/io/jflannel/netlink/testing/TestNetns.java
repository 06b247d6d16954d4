package io.jflannel.netlink.testing;

import io.jflannel.netlink.NetNs;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A throw-away network namespace for kernel tests: created with {@code ip netns add
 * jfl-<prefix>-<random>}, deleted (with everything in it) on {@link #close()}. Commands run
 * inside it with {@link #exec(String...)}.
 *
 * <pre>{@code
 * try (TestNetns ns = TestNetns.create("nl")) {
 *   ns.vethPair("veth0", "veth1");
 *   ns.exec("ip", "addr", "add", "192.0.2.1/24", "dev", "veth0");
 * }
 * }</pre>
 */
public final class TestNetns implements AutoCloseable {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final long TIMEOUT_SECONDS = 60;

  private final String name;
  private boolean closed;

  private TestNetns(String name) {
    this.name = name;
  }

  /**
   * Creates {@code jfl-<prefix>-<8 hex>}. Checks root and {@code ip} first (skip, or fail
   * under CI). The name stays within 15 characters when the prefix is short (veth names in it
   * are separate).
   */
  public static TestNetns create(String prefix) {
    Prerequisites.requireRoot();
    Prerequisites.requireCommand("ip");
    String name = String.format("jfl-%s-%08x", prefix, RANDOM.nextInt());
    run(List.of("ip", "netns", "add", name));
    TestNetns ns = new TestNetns(name);
    try {
      ns.exec("ip", "link", "set", "lo", "up");
    } catch (RuntimeException e) {
      ns.close();
      throw e;
    }
    return ns;
  }

  /** The namespace name, e.g. {@code jfl-nl-1a2b3c4d}. */
  public String name() {
    return name;
  }

  /** As a {@link NetNs} for {@code Netlink.open(ns)}. */
  public NetNs netns() {
    return new NetNs(name);
  }

  /**
   * Runs a command inside the namespace ({@code ip netns exec NAME cmd...}) and returns its
   * stdout. Throws {@link IllegalStateException} with the exit code and stderr on failure.
   */
  public String exec(String... cmd) {
    List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", name));
    full.addAll(List.of(cmd));
    return run(full);
  }

  /** Like {@link #exec} but returns null instead of throwing when the command fails. */
  public String tryExec(String... cmd) {
    try {
      return exec(cmd);
    } catch (IllegalStateException e) {
      return null;
    }
  }

  /** Creates a veth pair inside the namespace and sets both ends up. */
  public void vethPair(String a, String b) {
    exec("ip", "link", "add", a, "type", "veth", "peer", "name", b);
    exec("ip", "link", "set", a, "up");
    exec("ip", "link", "set", b, "up");
  }

  /**
   * Creates a veth pair with one end here and the other end moved into {@code other}; both up.
   */
  public void vethTo(String here, TestNetns other, String there) {
    exec("ip", "link", "add", here, "type", "veth", "peer", "name", there, "netns", other.name());
    exec("ip", "link", "set", here, "up");
    other.exec("ip", "link", "set", there, "up");
  }

  /** Interface index of a link in this namespace. */
  public int ifindex(String link) {
    return Integer.parseInt(exec("cat", "/sys/class/net/" + link + "/ifindex").trim());
  }

  /** Runs a command on the host (not inside the namespace); returns stdout, throws on failure. */
  public static String run(List<String> cmd) {
    try {
      Process p = new ProcessBuilder(cmd).start();
      p.getOutputStream().close();
      CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> drain(p.getInputStream()));
      CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> drain(p.getErrorStream()));
      if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException("command timed out after " + TIMEOUT_SECONDS + " s: " + String.join(" ", cmd));
      }
      String stdout = out.join();
      if (p.exitValue() != 0) {
        throw new IllegalStateException("command failed (exit " + p.exitValue() + "): " + String.join(" ", cmd)
            + "\nstderr: " + err.join().trim());
      }
      return stdout;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + String.join(" ", cmd), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted running " + String.join(" ", cmd), e);
    }
  }

  private static String drain(InputStream in) {
    try (in) {
      ByteArrayOutputStream bo = new ByteArrayOutputStream();
      in.transferTo(bo);
      return bo.toString(StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }

  /** Deletes the namespace and everything in it. Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    run(List.of("ip", "netns", "del", name));
  }
}
