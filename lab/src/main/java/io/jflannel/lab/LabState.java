package io.jflannel.lab;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What a running lab owns, kept on disk ({@code /run/jflannel-lab/<lab>.json}) so that
 * {@code lab down} and the next run after a crash can remove it: the processes it started,
 * the containers (by ID) its daemons run in when they run from the image, its namespaces and
 * its temporary directory.
 */
public final class LabState {
  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(SerializationFeature.INDENT_OUTPUT);

  /** The serialized form; {@code containers} is null in files written before it existed. */
  public record Snapshot(String lab, long ownerPid, String workDir, List<TrackedProcess> processes,
      List<String> namespaces, List<String> containers) {}

  private final Path file;
  private final String lab;
  private final String workDir;
  private final List<TrackedProcess> processes = new ArrayList<>();
  private final Set<String> namespaces = new LinkedHashSet<>();
  private final Set<String> containers = new LinkedHashSet<>();

  private LabState(Path file, String lab, String workDir) {
    this.file = file;
    this.lab = lab;
    this.workDir = workDir;
  }

  /** A fresh state for lab {@code lab}, written immediately. */
  public static LabState create(Path stateDir, String lab, Path workDir) {
    LabState s = new LabState(stateDir.resolve(lab + ".json"), lab, workDir.toString());
    s.save();
    return s;
  }

  /** The state file of lab {@code lab} under {@code stateDir}. */
  public static Path fileOf(Path stateDir, String lab) {
    return stateDir.resolve(lab + ".json");
  }

  /** Reads a state file, if there is one. */
  public static Optional<Snapshot> load(Path file) {
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    try {
      return Optional.of(JSON.readValue(file.toFile(), Snapshot.class));
    } catch (IOException e) {
      throw new LabException("cannot read lab state file " + file + ": " + e.getMessage(), e);
    }
  }

  /** Records a started process. */
  public synchronized void addProcess(TrackedProcess p) {
    processes.add(p);
    save();
  }

  /** Forgets a process that was stopped. */
  public synchronized void removeProcess(TrackedProcess p) {
    processes.removeIf(q -> q.pid() == p.pid());
    save();
  }

  /** Records a container the lab started (by its ID). */
  public synchronized void addContainer(String id) {
    containers.add(id);
    save();
  }

  /** Forgets a container that was removed. */
  public synchronized void removeContainer(String id) {
    containers.remove(id);
    save();
  }

  /** Records a namespace before it is created. */
  public synchronized void addNamespace(String ns) {
    namespaces.add(ns);
    save();
  }

  /** Forgets a deleted namespace. */
  public synchronized void removeNamespace(String ns) {
    namespaces.remove(ns);
    save();
  }

  /** The state file. */
  public Path file() {
    return file;
  }

  /** The current contents. */
  public synchronized Snapshot snapshot() {
    return new Snapshot(lab, ProcessHandle.current().pid(), workDir, List.copyOf(processes),
        List.copyOf(namespaces), List.copyOf(containers));
  }

  /** Removes the state file (after a complete teardown). */
  public synchronized void delete() {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      throw new LabException("cannot delete lab state file " + file + ": " + e.getMessage(), e);
    }
  }

  private void save() {
    try {
      Files.createDirectories(file.getParent());
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      JSON.writeValue(tmp.toFile(), snapshot());
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      throw new LabException("cannot write lab state file " + file + ": " + e.getMessage(), e);
    }
  }
}
