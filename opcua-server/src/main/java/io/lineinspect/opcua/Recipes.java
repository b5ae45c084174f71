package io.lineinspect.opcua;

import java.io.IOException;
import java.util.List;

/**
 * RecipeManagement mapped onto the model registry: a recipe is a registered model version ({@code
 * name@version}); activating one goes through the service's model lifecycle — load, warm-up and the
 * golden-set gate, exactly as the admin endpoint's {@code POST /models/activate} — and is recorded
 * in the audit chain. Called on Milo's threads; {@link #activate} blocks until the lifecycle has
 * decided (the line keeps judging with the served model meanwhile).
 */
public interface Recipes {
  /** One registered version: its id and why it cannot be served ("" when it looks servable). */
  record Recipe(String id, String problem) {}

  /** Every registered version, sorted by name then version. */
  List<Recipe> list() throws IOException;

  /** What an activation ended with. */
  record Activation(String outcome, String message, String served) {
    /** True when the requested version is served now (activated, or it already was). */
    public boolean ok() {
      return outcome.equals("ACTIVATED") || outcome.equals("UNCHANGED");
    }
  }

  /**
   * Activates {@code name@version} for {@code user} (an engineer; checked by the caller).
   *
   * @param client where the call came from (for the audit record)
   */
  Activation activate(String user, String client, String name, String version);
}
