package io.lineinspect.app.admin;

import io.lineinspect.app.models.ModelRegistry;
import io.lineinspect.core.actuate.RejectScheduler;
import io.lineinspect.core.audit.AuditLog;
import io.lineinspect.opcua.Recipes;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The OPC UA server's RecipeManagement ({@code docs/opcua.md#recipemanagement}) on the model
 * registry and the same {@link ModelLifecycle} as {@code POST /models/activate}: one operation at a
 * time, the golden-set gate, rollback target, {@code models.state}. Each activation is recorded in
 * the audit chain as an admin action (role {@code engineer}, method {@code OPCUA}, path {@code
 * /opcua/RecipeManagement/ActivateRecipe}, the user and client as {@code remote}), like one over
 * the admin endpoint.
 */
public final class OpcUaRecipes implements Recipes {
  private static final System.Logger LOG = System.getLogger(OpcUaRecipes.class.getName());
  static final String PATH = "/opcua/RecipeManagement/ActivateRecipe";

  private final ModelRegistry registry;
  private final Supplier<ModelLifecycle> lifecycle;
  private final Supplier<AuditLog> audit;

  /**
   * @param lifecycle the service's model lifecycle (read at each call: it is made after the server)
   * @param audit the service's audit trail (read when an activation ends), or a supplier of null
   */
  public OpcUaRecipes(
      ModelRegistry registry, Supplier<ModelLifecycle> lifecycle, Supplier<AuditLog> audit) {
    this.registry = registry;
    this.lifecycle = lifecycle;
    this.audit = audit;
  }

  @Override
  public List<Recipe> list() throws IOException {
    List<Recipe> out = new ArrayList<>();
    for (ModelRegistry.Version v : registry.list()) {
      out.add(new Recipe(v.id(), v.problem() == null ? "" : v.problem()));
    }
    return out;
  }

  @Override
  public Activation activate(String user, String client, String name, String version) {
    long atUs = RejectScheduler.systemEpochMicros();
    ModelLifecycle.Result r = lifecycle.get().activate(name, version);
    Map<String, String> params = new LinkedHashMap<>();
    params.put("name", AdminServer.printable(name));
    params.put("version", AdminServer.printable(version));
    String remote = AdminServer.printable("opcua:" + user + "@" + client);
    AuditLog.AdminAction action =
        new AuditLog.AdminAction(
            "engineer",
            remote,
            "OPCUA",
            PATH,
            params,
            r.outcome().httpStatus,
            r.outcome().name(),
            atUs,
            RejectScheduler.systemEpochMicros());
    LOG.log(
        Level.INFO,
        "admin: OPCUA {0} {1} by the engineer from {2}: {3} {4}",
        PATH,
        params,
        remote,
        String.valueOf(r.outcome().httpStatus),
        r.outcome().name());
    AuditLog a = audit.get();
    if (a != null) {
      a.adminAction(action);
    }
    return new Activation(r.outcome().name(), r.message(), r.served() == null ? "" : r.served());
  }
}
