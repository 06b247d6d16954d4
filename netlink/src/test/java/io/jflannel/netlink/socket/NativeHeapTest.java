package io.jflannel.netlink.socket;

import static org.junit.jupiter.api.Assertions.assertTrue;

import jnr.ffi.LibraryLoader;
import jnr.ffi.types.size_t;
import org.junit.jupiter.api.Test;

/** The C heap is trimmed on demand (docs/decisions/0854). */
class NativeHeapTest {

  /** The allocator itself, to leave free pages in the C heap. */
  public interface CHeap {
    long malloc(@size_t long size);

    long memset(long p, int c, @size_t long n);

    void free(long p);
  }

  private static long rssKib() {
    try {
      for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    throw new IllegalStateException("no VmRSS in /proc/self/status");
  }

  @Test
  void freedPagesInTheMiddleOfTheHeapAreGivenBackWhenTrimmed() {
    LibC.get();
    CHeap heap = LibraryLoader.create(CHeap.class).load("c");
    // 16 MiB in 32 KiB blocks, each followed by a small one that stays: freed, the blocks
    // cannot merge into chunks big enough for free() to give anything back by itself, so their
    // pages stay resident, free, until a trim.
    long[] blocks = new long[512];
    long[] fences = new long[blocks.length];
    for (int i = 0; i < blocks.length; i++) {
      blocks[i] = heap.malloc(32 << 10);
      heap.memset(blocks[i], 1, 32 << 10);
      fences[i] = heap.malloc(64);
    }
    try {
      for (long b : blocks) {
        heap.free(b);
      }
      long before = rssKib();
      assertTrue(NativeHeap.trim(), "malloc_trim gave nothing back after 16 MiB were freed");
      long released = before - rssKib();
      assertTrue(released >= 8 << 10, "RSS fell by " + released + " KiB only");
    } finally {
      for (long f : fences) {
        heap.free(f);
      }
    }
  }
}
