package io.jflannel.daemon.run;

/** A start-up failure that ends the process with status 1 and one readable line. */
public final class FatalException extends Exception {
  public FatalException(String message) {
    super(message);
  }

  public FatalException(String message, Throwable cause) {
    super(message, cause);
  }
}
