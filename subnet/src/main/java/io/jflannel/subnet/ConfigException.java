package io.jflannel.subnet;

/**
 * The network configuration (net-conf.json or the etcd {@code <prefix>/config} key) is
 * unusable. The message names the offending field and the value found, e.g.
 * {@code SubnetLen: expected an integer, got "24" (a string)}.
 */
public class ConfigException extends SubnetException {
  public ConfigException(String message) {
    super(message);
  }

  public ConfigException(String message, Throwable cause) {
    super(message, cause);
  }
}
