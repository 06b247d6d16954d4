package io.jflannel.backend;

/**
 * A backend could not be set up: bad backend options, an unusable external interface
 * (e.g. host-gw behind NAT) or a kernel failure while creating the device. The message is
 * fit for the daemon's single fatal log line.
 */
public class BackendException extends Exception {
  private static final long serialVersionUID = 1L;

  public BackendException(String message) {
    super(message);
  }

  public BackendException(String message, Throwable cause) {
    super(message, cause);
  }
}
