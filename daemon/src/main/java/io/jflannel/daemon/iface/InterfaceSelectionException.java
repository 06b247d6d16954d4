package io.jflannel.daemon.iface;

/** No interface matched what the operator asked for; the message lists what was tried. */
public class InterfaceSelectionException extends Exception {
  public InterfaceSelectionException(String message) {
    super(message);
  }

  public InterfaceSelectionException(String message, Throwable cause) {
    super(message, cause);
  }
}
