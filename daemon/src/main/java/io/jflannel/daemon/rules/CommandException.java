package io.jflannel.daemon.rules;

import java.util.List;

/** An external command failed; the message names the command, its status and its stderr. */
public final class CommandException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final List<String> command;
  private final int exitStatus;
  private final String stderr;

  /** A command that ran and exited with {@code exitStatus} (-1: did not start / timed out). */
  public CommandException(List<String> command, int exitStatus, String stderr, Throwable cause) {
    super("command `" + String.join(" ", command) + "` failed"
        + (exitStatus >= 0 ? " with exit status " + exitStatus : "")
        + (stderr.isBlank() ? "" : ": " + stderr.strip()), cause);
    this.command = List.copyOf(command);
    this.exitStatus = exitStatus;
    this.stderr = stderr;
  }

  /** The argument list that failed. */
  public List<String> command() {
    return command;
  }

  /** Exit status, or -1 when the process could not be started or was killed on timeout. */
  public int exitStatus() {
    return exitStatus;
  }

  /** What the command wrote to standard error. */
  public String stderr() {
    return stderr;
  }
}
