package io.jflannel.daemon.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.types.size_t;
import org.junit.jupiter.api.Test;

/** The C heap is trimmed on demand (docs/decisions/0854). */
class NativeHeapTest {
  private static final int PAGE = 4096;
  private static final int BLOCK = 32 << 10;

  /** The allocator itself, to leave free pages in the C heap, and mincore to see them. */
  public interface CHeap {
    long malloc(@size_t long size);

    long memset(long p, int c, @size_t long n);

    void free(long p);

    int mincore(long addr, @size_t long length, long vec);
  }

  /**
   * Resident pages among the whole pages inside the blocks (past the first 64 bytes, where a
   * free chunk keeps its list pointers). Counts only these pages, not the process: the JVM's
   * own threads allocate and free C memory meanwhile, so its RSS moves by megabytes.
   */
  private static int[] residentPages(CHeap heap, long[] blocks, long vec) {
    Pointer v = Pointer.wrap(Runtime.getRuntime(heap), vec);
    int resident = 0;
    int pages = 0;
    for (long b : blocks) {
      long start = (b + 64 + PAGE - 1) & -PAGE;
      long end = (b + BLOCK) & -PAGE;
      int n = (int) ((end - start) / PAGE);
      assertEquals(0, heap.mincore(start, end - start, vec), "mincore");
      for (int i = 0; i < n; i++) {
        resident += v.getByte(i) & 1;
      }
      pages += n;
    }
    return new int[] {resident, pages};
  }

  @Test
  void freedPagesInTheMiddleOfTheHeapAreGivenBackWhenTrimmed() {
    NativeHeap.trim(); // jnr-ffi set up as in production (reflective invokers) before CHeap loads
    CHeap heap = LibraryLoader.create(CHeap.class).load("c");
    // 32 MiB in 32 KiB blocks, touched; every other one is freed. The ones kept sit between
    // the freed ones, so no freed block merges with its neighbours into a chunk that free()
    // gives back by itself (small separate fences did not: after other tests they came from
    // free lists elsewhere). The freed blocks' pages stay resident, free, until a trim.
    long[] all = new long[1024];
    long[] freed = new long[all.length / 2];
    long vec = heap.malloc(BLOCK / PAGE);
    for (int i = 0; i < all.length; i++) {
      all[i] = heap.malloc(BLOCK);
      heap.memset(all[i], 1, BLOCK);
    }
    try {
      for (int i = 0; i < freed.length; i++) {
        freed[i] = all[2 * i];
        heap.free(freed[i]);
      }
      int[] before = residentPages(heap, freed, vec);
      assertTrue(before[0] * 10 >= before[1] * 9,
          "freed pages should still be resident before the trim: " + before[0] + " of " + before[1]);
      assertTrue(NativeHeap.trim(), "malloc_trim gave nothing back after 16 MiB were freed");
      int[] after = residentPages(heap, freed, vec);
      // Other threads may reuse a few of the freed chunks meanwhile; most pages must be gone.
      assertTrue(after[0] * 2 <= after[1],
          "the trim left " + after[0] + " of " + after[1] + " freed pages resident");
    } finally {
      for (int i = 1; i < all.length; i += 2) {
        heap.free(all[i]);
      }
      heap.free(vec);
    }
  }
}
