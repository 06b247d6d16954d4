package io.jflannel.daemon.flags;

import java.util.Set;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Boolean values as flanneld users write them: the spellings Go's {@code strconv.ParseBool}
 * accepts ({@code 1 t T TRUE true True 0 f F FALSE false False}), nothing else.
 */
public final class GoBool implements ITypeConverter<Boolean> {
  private static final Set<String> TRUE = Set.of("1", "t", "T", "TRUE", "true", "True");
  private static final Set<String> FALSE = Set.of("0", "f", "F", "FALSE", "false", "False");

  /** Parses {@code text}, or throws naming the accepted spellings. */
  static boolean parse(String text) {
    if (TRUE.contains(text)) {
      return true;
    }
    if (FALSE.contains(text)) {
      return false;
    }
    throw new TypeConversionException(
        "'" + text + "' is not a boolean (use true/false, t/f or 1/0)");
  }

  @Override
  public Boolean convert(String value) {
    return parse(value);
  }
}
