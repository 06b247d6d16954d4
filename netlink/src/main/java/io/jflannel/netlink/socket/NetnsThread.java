package io.jflannel.netlink.socket;

import io.jflannel.netlink.NetNs;
import io.jflannel.netlink.NetlinkException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs an action on a fresh platform thread that first moves itself into a named network
 * namespace with setns(2). Sockets created by the action stay in that namespace after the
 * thread ends; no other thread's namespace changes, so one JVM can serve many namespaces.
 */
public final class NetnsThread {
  /** Work to do inside the namespace. */
  @FunctionalInterface
  public interface Action<T> {
    T run() throws NetlinkException;
  }

  private NetnsThread() {
  }

  /** Enters {@code ns}, runs {@code action}, and lets the thread die. */
  public static <T> T call(NetNs ns, Action<T> action) throws NetlinkException {
    AtomicReference<T> result = new AtomicReference<>();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread t = new Thread(() -> {
      try {
        result.set(enterAndRun(ns, action));
      } catch (Throwable e) {
        failure.set(e);
      }
    }, "jfl-netns-" + ns.name());
    t.setDaemon(true);
    t.start();
    try {
      t.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new NetlinkException("enter netns " + ns.name() + ": interrupted", 0, null, e);
    }
    Throwable f = failure.get();
    if (f instanceof NetlinkException ne) {
      throw ne;
    }
    if (f instanceof RuntimeException re) {
      throw re;
    }
    if (f instanceof Error err) {
      throw err;
    }
    return result.get();
  }

  private static <T> T enterAndRun(NetNs ns, Action<T> action) throws NetlinkException {
    LibC libc = LibC.get();
    String path = ns.path().toString();
    int nsfd = libc.open(path, LibC.O_RDONLY | LibC.O_CLOEXEC);
    if (nsfd < 0) {
      throw new NetlinkException("open " + path + " (network namespace " + ns.name() + ")", LibC.errno(), null);
    }
    try {
      if (libc.setns(nsfd, LibC.CLONE_NEWNET) != 0) {
        throw new NetlinkException("setns(" + path + ", CLONE_NEWNET)", LibC.errno(), null);
      }
    } finally {
      libc.close(nsfd);
    }
    return action.run();
  }
}
