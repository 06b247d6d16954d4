package io.jflannel.deploy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * A Dockerfile read into build stages, enough to check its structure: comments and parser
 * directives dropped, backslash continuations joined, instructions split into keyword and
 * the rest of the line.
 */
record DockerfileModel(List<Stage> stages) {

  /** One instruction: upper-case keyword and its unparsed argument text. */
  record Instruction(String keyword, String args) {}

  /** A stage from its FROM line up to the next FROM. */
  record Stage(String image, String name, List<Instruction> instructions) {
    List<Instruction> all(String keyword) {
      return instructions.stream().filter(i -> i.keyword().equals(keyword)).toList();
    }

    /** The arguments of every RUN instruction, joined: what the stage executes. */
    String runText() {
      return String.join("\n", all("RUN").stream().map(Instruction::args).toList());
    }
  }

  static DockerfileModel parse(Path file) throws IOException {
    List<Instruction> instructions = new ArrayList<>();
    StringBuilder pending = new StringBuilder();
    int lineNo = 0;
    for (String raw : Files.readAllLines(file)) {
      lineNo++;
      String line = raw.strip();
      // Docker drops comment lines, also those inside a continued instruction.
      if (line.startsWith("#") || (line.isEmpty() && pending.isEmpty())) {
        continue;
      }
      if (line.endsWith("\\")) {
        pending.append(line, 0, line.length() - 1).append(' ');
        continue;
      }
      pending.append(line);
      String text = pending.toString().strip();
      pending.setLength(0);
      if (text.isEmpty()) {
        continue;
      }
      String[] parts = text.split("\\s+", 2);
      instructions.add(new Instruction(parts[0].toUpperCase(Locale.ROOT), parts.length > 1 ? parts[1] : ""));
      if (!parts[0].equals(parts[0].toUpperCase(Locale.ROOT))) {
        throw new IllegalArgumentException(file + ":" + lineNo + ": instruction not upper case: " + parts[0]);
      }
    }
    if (!pending.isEmpty()) {
      throw new IllegalArgumentException(file + ": ends inside a continued line: " + pending);
    }
    List<Stage> stages = new ArrayList<>();
    for (Instruction i : instructions) {
      if (i.keyword().equals("FROM")) {
        String[] words = i.args().split("\\s+");
        String name = words.length == 3 && words[1].equalsIgnoreCase("AS") ? words[2] : null;
        if (words.length != 1 && name == null) {
          throw new IllegalArgumentException(file + ": unexpected FROM form: FROM " + i.args());
        }
        stages.add(new Stage(words[0], name, new ArrayList<>()));
      } else if (stages.isEmpty()) {
        if (!i.keyword().equals("ARG")) {
          throw new IllegalArgumentException(file + ": " + i.keyword() + " before the first FROM");
        }
      } else {
        stages.get(stages.size() - 1).instructions().add(i);
      }
    }
    return new DockerfileModel(List.copyOf(stages));
  }

  Optional<Stage> stage(String name) {
    return stages.stream().filter(s -> name.equals(s.name())).findFirst();
  }

  Stage last() {
    return stages.get(stages.size() - 1);
  }
}
