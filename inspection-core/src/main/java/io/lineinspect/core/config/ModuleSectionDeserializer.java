package io.lineinspect.core.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.BeanProperty;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.deser.ContextualDeserializer;
import java.io.IOException;
import java.util.Map;

/**
 * Binds a {@link ModuleSection} slot with the record its owning module registered for the slot's
 * {@link ModuleSection.Key}: reading the subtree in place, so Jackson's key path (and so every
 * message) runs through the core's records into the module's. An absent or empty section is bound
 * from an empty one (the module's defaults); a key no module owns is skipped and marked, for the
 * record that holds the slot to judge.
 */
final class ModuleSectionDeserializer extends JsonDeserializer<ModuleSection>
    implements ContextualDeserializer {
  private final Map<String, Class<?>> owners;
  private final String key;
  private final Class<?> type;

  ModuleSectionDeserializer(Map<String, Class<?>> owners) {
    this(owners, null, null);
  }

  private ModuleSectionDeserializer(Map<String, Class<?>> owners, String key, Class<?> type) {
    this.owners = owners;
    this.key = key;
    this.type = type;
  }

  @Override
  public JsonDeserializer<?> createContextual(DeserializationContext ctxt, BeanProperty property) {
    ModuleSection.Key k = property == null ? null : property.getAnnotation(ModuleSection.Key.class);
    if (k == null) {
      throw new IllegalStateException(
          "a ModuleSection slot needs @ModuleSection.Key: "
              + (property == null ? "(no property)" : property.getMember()));
    }
    return new ModuleSectionDeserializer(owners, k.value(), owners.get(k.value()));
  }

  @Override
  public ModuleSection deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
    if (type == null) {
      p.skipChildren();
      return ModuleSection.withoutModule(key, true);
    }
    return ModuleSection.bound(key, ctxt.readValue(p, type), true);
  }

  @Override
  public ModuleSection getNullValue(DeserializationContext ctxt) {
    // "djl:" with nothing under it: as if left out.
    return key == null ? null : defaults(ctxt);
  }

  @Override
  public Object getAbsentValue(DeserializationContext ctxt) {
    return key == null ? null : defaults(ctxt);
  }

  private ModuleSection defaults(DeserializationContext ctxt) {
    if (type == null) {
      return ModuleSection.withoutModule(key, false);
    }
    try {
      return ModuleSection.bound(
          key, ctxt.readTreeAsValue(ctxt.getNodeFactory().objectNode(), type), false);
    } catch (IOException e) {
      throw new IllegalStateException(key + ": the module's defaults do not bind: " + e, e);
    }
  }
}
