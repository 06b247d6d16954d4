package io.jflannel.daemon.runtime;

import jnr.ffi.LibraryLoader;
import jnr.ffi.types.size_t;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives the C heap's free pages back to the kernel now ({@code malloc_trim(0)}, glibc), instead
 * of at the JVM's next periodic trim (the launcher's {@code -XX:TrimNativeHeapInterval}).
 * {@link HeapCompaction} calls it after each of its full collections, which free what the
 * start-up or an update storm held in the C heap (docs/decisions/0854). Where the C library has
 * no {@code malloc_trim} (musl), {@link #trim()} does nothing.
 */
public final class NativeHeap {
  private static final Logger LOG = LoggerFactory.getLogger(NativeHeap.class);

  /**
   * jnr-ffi's switch between generated and reflective invokers, read once for the whole
   * process when jnr-ffi loads its first library.
   */
  private static final String ASM_PROPERTY = "jnr.ffi.asm.enabled";

  /** The one call, in its own binding so that a libc without it costs only this class. */
  public interface Malloc {
    int malloc_trim(@size_t long pad);
  }

  private static volatile boolean unavailable;

  private NativeHeap() {
  }

  /**
   * Trims the C heap.
   *
   * @return true when pages were given back; false when there was nothing to give back or
   *     the C library cannot trim
   */
  public static boolean trim() {
    if (unavailable) {
      return false;
    }
    try {
      return Holder.MALLOC.malloc_trim(0) == 1;
    } catch (LinkageError | RuntimeException e) {
      unavailable = true;
      LOG.debug("the C library cannot trim its heap: {}", e.toString());
      return false;
    }
  }

  private static final class Holder {
    static final Malloc MALLOC = load();

    /**
     * Reflective invokers unless the operator chose otherwise, as the netlink socket loads
     * libc (docs/decisions/0834): whichever binding loads first fixes the choice for both, and
     * one call per compaction needs no generated stub.
     */
    private static Malloc load() {
      if (System.getProperty(ASM_PROPERTY) == null) {
        System.setProperty(ASM_PROPERTY, "false");
      }
      return LibraryLoader.create(Malloc.class).load("c");
    }
  }
}
