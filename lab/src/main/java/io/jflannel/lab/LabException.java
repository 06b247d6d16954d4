package io.jflannel.lab;

/** A lab step failed; the message names the step, the object and what went wrong. */
public final class LabException extends RuntimeException {
  public LabException(String message) {
    super(message);
  }

  public LabException(String message, Throwable cause) {
    super(message, cause);
  }
}
