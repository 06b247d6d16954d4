package io.jflannel.netlink.socket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import org.junit.jupiter.api.Test;

/** libc through jnr-ffi's reflective invokers (docs/decisions/0834). */
class LibCTest {

  @Test
  void libcIsBoundByReflectionNotGeneratedStubs() {
    LibC libc = LibC.get();
    assertEquals("false", System.getProperty(LibC.Holder.ASM_PROPERTY));
    assertTrue(Proxy.isProxyClass(libc.getClass()), "LibC implemented by " + libc.getClass());
    assertEquals(ProcessHandle.current().pid(), libc.getpid());
  }

  @Test
  void errnoIsSavedThroughTheReflectiveInvoker() {
    LibC libc = LibC.get();
    assertEquals(-1, libc.close(-1));
    assertEquals(9, LibC.errno()); // EBADF
  }
}
