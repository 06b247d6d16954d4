package io.jflannel.subnet;

/**
 * A subnet-manager failure with a message fit for a single log line, such as
 * {@code node "n1" pod cidr not assigned} or {@code out of subnets}.
 */
public class SubnetException extends Exception {
  public SubnetException(String message) {
    super(message);
  }

  public SubnetException(String message, Throwable cause) {
    super(message, cause);
  }
}
