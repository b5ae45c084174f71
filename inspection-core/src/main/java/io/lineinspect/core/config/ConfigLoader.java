package io.lineinspect.core.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.InvalidTypeIdException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.jsontype.NamedType;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.lineinspect.core.quality.QualityLimits;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Loads and validates a line configuration from YAML. Every problem is a {@link ConfigException}
 * whose message starts with the file name and the dotted key: an unknown key (with the known ones),
 * a wrong type, a value out of range, a missing required value.
 */
public final class ConfigLoader {
  /** The modules on the class path, their types registered with one mapper. */
  private static final Modules ON_CLASS_PATH =
      new Modules(ServiceLoader.load(ConfigModule.class).stream().map(p -> p.get()).toList());

  private ConfigLoader() {}

  /** Every {@link ConfigModule}'s contributions and the YAML mapper that knows them. */
  private static final class Modules {
    final List<ConfigModule> modules;
    final Map<String, Class<? extends ActuatorOutputConfig>> outputTypes = new TreeMap<>();
    final Map<String, Class<?>> sections = new TreeMap<>();
    final ObjectMapper yaml =
        new ObjectMapper(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            // A key given twice is a mistake to report, not a silent "last one wins".
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    Modules(List<ConfigModule> modules) {
      this.modules = List.copyOf(modules);
      for (ConfigModule m : modules) {
        m.actuatorOutputs()
            .forEach((name, type) -> add(outputTypes, "actuator output type", name, type));
        m.sections().forEach((key, type) -> add(sections, "configuration section", key, type));
      }
      outputTypes.forEach((name, type) -> yaml.registerSubtypes(new NamedType(type, name)));
      yaml.registerModule(
          new SimpleModule("module-sections")
              .addDeserializer(
                  ModuleSection.class, new ModuleSectionDeserializer(Map.copyOf(sections))));
    }

    private static <T> void add(Map<String, T> into, String what, String name, T type) {
      T before = into.putIfAbsent(name, type);
      if (before != null && before != type) {
        throw new IllegalStateException(
            what + " '" + name + "' is defined twice: " + before + ", " + type);
      }
    }
  }

  /** The actuator output types the modules on the class path contribute, sorted. */
  public static Set<String> outputTypeNames() {
    return Set.copyOf(ON_CLASS_PATH.outputTypes.keySet());
  }

  public static ServiceConfig load(Path file) {
    String text;
    try {
      text = Files.readString(file);
    } catch (NoSuchFileException e) {
      throw new ConfigException(file + ": configuration file not found");
    } catch (IOException e) {
      throw new ConfigException(file + ": cannot read configuration: " + e.getMessage(), e);
    }
    return parse(text, file.toString());
  }

  /** Parses YAML text; {@code origin} names it in messages. */
  public static ServiceConfig parse(String yaml, String origin) {
    return parse(yaml, origin, ON_CLASS_PATH);
  }

  /** Like {@link #parse(String, String)}, knowing exactly {@code modules} (for tests). */
  static ServiceConfig parse(String yaml, String origin, List<ConfigModule> modules) {
    return parse(yaml, origin, new Modules(modules));
  }

  private static ServiceConfig parse(String yaml, String origin, Modules modules) {
    if (yaml.isBlank()) {
      throw new ConfigException(origin + ": configuration is empty");
    }
    try {
      ServiceConfig config = modules.yaml.readValue(yaml, ServiceConfig.class);
      if (config == null) {
        throw new ConfigException(origin + ": configuration is empty");
      }
      for (ConfigModule m : modules.modules) {
        m.conclude(config);
      }
      return config;
    } catch (ConfigException e) {
      throw new ConfigException(origin + ": " + e.getMessage(), e);
    } catch (JsonProcessingException e) {
      throw new ConfigException(origin + ": " + describe(e, modules), e);
    }
  }

  private static String describe(JsonProcessingException e, Modules modules) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof StreamReadException r) {
        String where =
            r.getLocation() == null
                ? ""
                : " at line "
                    + r.getLocation().getLineNr()
                    + ", column "
                    + r.getLocation().getColumnNr();
        String first = String.valueOf(r.getOriginalMessage()).lines().findFirst().orElse("");
        if (first.startsWith("Duplicate field") && r.getProcessor() != null) {
          return duplicateKey(r.getProcessor().getParsingContext()) + ": key given twice" + where;
        }
        return "not valid YAML" + where + ": " + first;
      }
    }
    if (e instanceof ValueInstantiationException v
        && v.getType() != null
        && v.getType().getRawClass() == CameraCredentialConfig.class
        && e.getCause() instanceof ConfigException c) {
      // A camera's credential names its keys relative to its entry (ingest.cameras.<id>).
      String m = c.getMessage();
      return path(v) + (m.matches("[A-Za-z]+: .*") ? "." : ": ") + m;
    }
    if (e instanceof ValueInstantiationException && e.getCause() instanceof ConfigException c) {
      // Records inside lists name their keys relative to the list element.
      String p = path((JsonMappingException) e);
      int element = p.lastIndexOf(']');
      return element < 0 ? c.getMessage() : p.substring(0, element + 1) + "." + c.getMessage();
    }
    if (e instanceof ValueInstantiationException
        && e.getCause() instanceof QualityLimits.InvalidLimit q) {
      // The limits record is shared with model manifests, so it names its keys relative to itself.
      return path((JsonMappingException) e) + "." + q.getMessage();
    }
    if (e instanceof InvalidTypeIdException t) {
      String id = t.getTypeId();
      return path(t)
          + (id == null ? ": 'type' is missing" : ": unknown type '" + id + "'")
          + (modules.outputTypes.isEmpty()
              ? " (no actuator output types on the class path)"
              : " (known types: " + String.join(", ", modules.outputTypes.keySet()) + ")");
    }
    if (e instanceof UnrecognizedPropertyException u) {
      String known =
          u.getKnownPropertyIds() == null
              ? ""
              : u.getKnownPropertyIds().stream()
                  .map(String::valueOf)
                  .sorted()
                  .collect(Collectors.joining(", ", " (known keys here: ", ")"));
      return path(u) + ": unknown key" + known;
    }
    if (e instanceof InvalidFormatException f) {
      String expected =
          f.getTargetType() != null && f.getTargetType().isEnum()
              ? "one of " + java.util.Arrays.toString(f.getTargetType().getEnumConstants())
              : typeName(f.getTargetType());
      return path(f) + ": expected " + expected + ", got '" + f.getValue() + "'";
    }
    if (e instanceof MismatchedInputException m) {
      return path(m) + ": expected " + typeName(m.getTargetType()) + ": " + m.getOriginalMessage();
    }
    if (e instanceof JsonMappingException m) {
      return path(m) + ": " + m.getOriginalMessage();
    }
    return e.getOriginalMessage();
  }

  /** The dotted key a duplicate-detecting parser stopped at. */
  private static String duplicateKey(com.fasterxml.jackson.core.JsonStreamContext context) {
    java.util.ArrayDeque<String> parts = new java.util.ArrayDeque<>();
    for (var c = context; c != null && !c.inRoot(); c = c.getParent()) {
      if (c.inArray()) {
        parts.push("[" + c.getCurrentIndex() + "]");
      } else if (c.getCurrentName() != null) {
        parts.push(c.getCurrentName());
      }
    }
    StringBuilder p = new StringBuilder();
    for (String part : parts) {
      p.append(p.length() == 0 || part.startsWith("[") ? "" : ".").append(part);
    }
    return p.length() == 0 ? "(top level)" : p.toString();
  }

  private static String typeName(Class<?> type) {
    if (type == null) {
      return "a value";
    }
    if (type == Integer.class || type == int.class || type == Long.class) {
      return "an integer";
    }
    if (type == Double.class || type == Float.class) {
      return "a number";
    }
    if (type == String.class) {
      return "a text";
    }
    return "a " + type.getSimpleName() + " section";
  }

  private static String path(JsonMappingException e) {
    StringBuilder p = new StringBuilder();
    for (JsonMappingException.Reference r : e.getPath()) {
      if (r.getFieldName() != null) {
        p.append(p.length() == 0 ? "" : ".").append(r.getFieldName());
      } else {
        p.append('[').append(r.getIndex()).append(']');
      }
    }
    return p.length() == 0 ? "(top level)" : p.toString();
  }
}
