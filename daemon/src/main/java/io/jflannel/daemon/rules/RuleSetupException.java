package io.jflannel.daemon.rules;

/** The host cannot program the rules the flags and the network config ask for. */
public final class RuleSetupException extends Exception {
  private static final long serialVersionUID = 1L;

  /** {@code message} is one line naming what is missing and what needs it. */
  public RuleSetupException(String message) {
    super(message);
  }
}
