package io.jflannel.daemon.flags;

/** A flag or environment value that flanneld cannot use; the message names the input. */
public final class UsageException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception; {@code message} must name the offending flag or variable. */
  public UsageException(String message) {
    super(message);
  }
}
