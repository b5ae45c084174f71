package io.lineinspect.opcua;

import static org.eclipse.milo.opcua.stack.core.types.builtin.unsigned.Unsigned.ubyte;
import static org.eclipse.milo.opcua.stack.core.types.builtin.unsigned.Unsigned.uint;
import static org.eclipse.milo.opcua.stack.core.types.builtin.unsigned.Unsigned.ushort;

import io.lineinspect.core.decide.ReasonCode;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.HdrHistogram.Histogram;
import org.eclipse.milo.opcua.sdk.core.AccessLevel;
import org.eclipse.milo.opcua.sdk.core.Reference;
import org.eclipse.milo.opcua.sdk.core.ValueRanks;
import org.eclipse.milo.opcua.sdk.server.ManagedNamespaceWithLifecycle;
import org.eclipse.milo.opcua.sdk.server.OpcUaServer;
import org.eclipse.milo.opcua.sdk.server.Session;
import org.eclipse.milo.opcua.sdk.server.identity.Identity;
import org.eclipse.milo.opcua.sdk.server.items.DataItem;
import org.eclipse.milo.opcua.sdk.server.items.MonitoredItem;
import org.eclipse.milo.opcua.sdk.server.methods.AbstractMethodInvocationHandler;
import org.eclipse.milo.opcua.sdk.server.model.objects.BaseEventTypeNode;
import org.eclipse.milo.opcua.sdk.server.model.objects.ServerTypeNode;
import org.eclipse.milo.opcua.sdk.server.nodes.UaMethodNode;
import org.eclipse.milo.opcua.sdk.server.nodes.UaNode;
import org.eclipse.milo.opcua.sdk.server.nodes.UaObjectNode;
import org.eclipse.milo.opcua.sdk.server.nodes.UaObjectTypeNode;
import org.eclipse.milo.opcua.sdk.server.nodes.UaVariableNode;
import org.eclipse.milo.opcua.sdk.server.util.SubscriptionModel;
import org.eclipse.milo.opcua.stack.core.NodeIds;
import org.eclipse.milo.opcua.stack.core.StatusCodes;
import org.eclipse.milo.opcua.stack.core.UaException;
import org.eclipse.milo.opcua.stack.core.types.builtin.ByteString;
import org.eclipse.milo.opcua.stack.core.types.builtin.DataValue;
import org.eclipse.milo.opcua.stack.core.types.builtin.DateTime;
import org.eclipse.milo.opcua.stack.core.types.builtin.LocalizedText;
import org.eclipse.milo.opcua.stack.core.types.builtin.NodeId;
import org.eclipse.milo.opcua.stack.core.types.builtin.QualifiedName;
import org.eclipse.milo.opcua.stack.core.types.builtin.Variant;
import org.eclipse.milo.opcua.stack.core.types.builtin.unsigned.UInteger;
import org.eclipse.milo.opcua.stack.core.types.structured.Argument;

/**
 * The line's address space, built in Java (Milo has no NodeSet import) after OPC 40100-1's {@code
 * VisionSystemType} as far as it fits a continuous inline inspection: the VisionSystem object with
 * its VisionStateMachine and ResultManagement, the line's figures, one object per camera, and the
 * {@code ResultReadyEventType}. Node ids and browse names: {@code docs/opcua.md}.
 *
 * <p>Threads: nodes are written only on the {@code opcua-feed} thread ({@link #onResult}, {@link
 * #tick}); Milo's threads read them (reads, sampling for subscriptions) and run the methods, which
 * read the recent results under their lock. Nothing here is called from the line.
 */
final class VisionNamespace extends ManagedNamespaceWithLifecycle implements ResultFeed.Sink {
  /** This service's own namespace (node ids, its own names). */
  static final String URI = "urn:lineinspect:opcua";

  /** OPC 40100-1 Machine Vision: browse names of what the companion specification names. */
  static final String MV_URI = "http://opcfoundation.org/UA/MachineVision";

  private static final long WINDOW_BUCKET_NS = TimeUnit.SECONDS.toNanos(10);
  private static final int WINDOW_BUCKETS = 6;

  private final OpcUaConfig config;
  private final LineStatus status;
  private final Recipes recipes;
  private final Map<String, Boolean> engineers;
  private final SubscriptionModel subscriptions;
  private final int mv;
  private final boolean failuresOnly;

  // Recent results, newest last: the feed thread adds, method threads read; guarded by itself.
  private final ArrayDeque<InspectionResult> recent = new ArrayDeque<>();

  // Feed thread only.
  private final Map<String, CameraNodes> cameras = new LinkedHashMap<>();
  private final Histogram[] window = new Histogram[WINDOW_BUCKETS];
  private final long[] windowEpoch = new long[WINDOW_BUCKETS];
  private long ok;
  private long ng;
  private long failSafe;
  private long eventsRaised;
  private long eventsSuppressed;
  private double tokens;
  private long tokensAtNs;
  private long lastResultId = -1;
  private volatile boolean halted;

  private UaObjectNode server;
  private UaObjectNode visionSystem;
  private UaObjectNode camerasFolder;
  private UaVariableNode currentState;
  private UaVariableNode automaticState;
  private UaVariableNode lineYield;
  private UaVariableNode lineVerdicts;
  private UaVariableNode lineOk;
  private UaVariableNode lineNg;
  private UaVariableNode lineFailSafe;
  private UaVariableNode lineModel;
  private UaVariableNode lineP99;
  private UaVariableNode lineAlarms;
  private UaVariableNode lineSimulated;
  private UaVariableNode raised;
  private UaVariableNode suppressed;
  private UaVariableNode lastId;
  private NodeId eventType;

  VisionNamespace(
      OpcUaServer server,
      OpcUaConfig config,
      LineStatus status,
      Recipes recipes,
      Map<String, Boolean> engineers) {
    super(server, URI);
    this.config = config;
    this.status = status;
    this.recipes = recipes;
    this.engineers = engineers;
    this.mv = server.getNamespaceTable().add(MV_URI).intValue();
    this.failuresOnly = config.events().equals("failures");
    this.tokens = config.maxEventsPerSecond();
    this.subscriptions = new SubscriptionModel(server, this);
    getLifecycleManager().addLifecycle(subscriptions);
    getLifecycleManager().addStartupTask(this::build);
    for (int i = 0; i < WINDOW_BUCKETS; i++) {
      window[i] = new Histogram(1, 60_000_000L, 3);
      windowEpoch[i] = Long.MIN_VALUE;
    }
  }

  private QualifiedName mvName(String name) {
    return new QualifiedName(mv, name);
  }

  private void build() {
    UaNode s = getServer().getAddressSpaceManager().getManagedNode(NodeIds.Server).orElse(null);
    if (s instanceof ServerTypeNode st) {
      st.setEventNotifier(ubyte(1));
      server = st;
    }
    buildEventType();

    visionSystem =
        UaObjectNode.builder(getNodeContext())
            .setNodeId(newNodeId("VisionSystem"))
            .setBrowseName(mvName("VisionSystem"))
            .setDisplayName(LocalizedText.english("VisionSystem"))
            .setTypeDefinition(NodeIds.BaseObjectType)
            .setEventNotifier(ubyte(1))
            .build();
    getNodeManager().addNode(visionSystem);
    visionSystem.addReference(
        new Reference(
            visionSystem.getNodeId(), NodeIds.Organizes, NodeIds.ObjectsFolder.expanded(), false));

    UaObjectNode sm =
        object(visionSystem, "VisionSystem/VisionStateMachine", mvName("VisionStateMachine"));
    currentState =
        variable(
            sm,
            "VisionSystem/VisionStateMachine/CurrentState",
            mvName("CurrentState"),
            NodeIds.LocalizedText,
            new Variant(LocalizedText.english("Preoperational")));
    UaObjectNode auto =
        object(
            sm,
            "VisionSystem/VisionStateMachine/AutomaticModeStateMachine",
            mvName("AutomaticModeStateMachine"));
    automaticState =
        variable(
            auto,
            "VisionSystem/VisionStateMachine/AutomaticModeStateMachine/CurrentState",
            mvName("CurrentState"),
            NodeIds.LocalizedText,
            new Variant(LocalizedText.english("")));
    method(
        sm,
        "VisionSystem/VisionStateMachine/Reset",
        mvName("Reset"),
        new Argument[0],
        new Argument[0],
        true,
        (ctx, in) -> {
          resetRequested = true;
          return new Variant[0];
        });
    for (String name : List.of("Halt", "SelectModeAutomatic", "ConfirmAll")) {
      method(
          sm,
          "VisionSystem/VisionStateMachine/" + name,
          mvName(name),
          new Argument[0],
          new Argument[0],
          false,
          VisionNamespace::notSupported);
    }
    for (String name : List.of("StartSingleJob", "StartContinuous", "Stop", "Abort")) {
      method(
          auto,
          "VisionSystem/VisionStateMachine/AutomaticModeStateMachine/" + name,
          mvName(name),
          new Argument[0],
          new Argument[0],
          false,
          VisionNamespace::notSupported);
    }

    UaObjectNode rm =
        object(visionSystem, "VisionSystem/ResultManagement", mvName("ResultManagement"));
    raised =
        variable(
            rm,
            "VisionSystem/ResultManagement/EventsRaised",
            newQualifiedName("EventsRaised"),
            NodeIds.Int64,
            new Variant(0L));
    suppressed =
        variable(
            rm,
            "VisionSystem/ResultManagement/EventsSuppressed",
            newQualifiedName("EventsSuppressed"),
            NodeIds.Int64,
            new Variant(0L));
    lastId =
        variable(
            rm,
            "VisionSystem/ResultManagement/LastResultId",
            newQualifiedName("LastResultId"),
            NodeIds.String,
            new Variant(""));
    method(
        rm,
        "VisionSystem/ResultManagement/GetResultById",
        mvName("GetResultById"),
        new Argument[] {arg("ResultId", NodeIds.String, "the result's id (audit record number n)")},
        new Argument[] {
          arg(
              "Result",
              NodeIds.String,
              "the audit record of the result (JSON, chain hash included)"),
          arg("Error", NodeIds.Int32, "0 found, 1 not among the recent results")
        },
        false,
        this::getResultById);
    method(
        rm,
        "VisionSystem/ResultManagement/GetResultListFiltered",
        mvName("GetResultListFiltered"),
        new Argument[] {
          arg("CameraId", NodeIds.String, "only this camera's results; \"\" = every camera"),
          arg(
              "ResultState",
              NodeIds.Int32,
              "only this ResultState (1 OK, 2 NG, 3 fail-safe); 0 = any"),
          arg(
              "AfterResultId",
              NodeIds.Int64,
              "only results with a larger id; -1 = from the oldest kept"),
          arg("MaxResults", NodeIds.UInt32, "at most this many, oldest first (capped at 1000)")
        },
        new Argument[] {
          arg("ResultIds", NodeIds.String, -2, "the ids, oldest first"),
          arg("Results", NodeIds.String, -2, "their audit records (JSON)"),
          arg("Error", NodeIds.Int32, "0")
        },
        false,
        this::getResultList);

    UaObjectNode line = object(visionSystem, "VisionSystem/Line", newQualifiedName("Line"));
    lineYield =
        variable(
            line,
            "VisionSystem/Line/Yield",
            newQualifiedName("Yield"),
            NodeIds.Double,
            new Variant(Double.NaN));
    lineVerdicts =
        variable(
            line,
            "VisionSystem/Line/Verdicts",
            newQualifiedName("Verdicts"),
            NodeIds.Int64,
            new Variant(0L));
    lineOk =
        variable(
            line, "VisionSystem/Line/Ok", newQualifiedName("Ok"), NodeIds.Int64, new Variant(0L));
    lineNg =
        variable(
            line, "VisionSystem/Line/Ng", newQualifiedName("Ng"), NodeIds.Int64, new Variant(0L));
    lineFailSafe =
        variable(
            line,
            "VisionSystem/Line/FailSafe",
            newQualifiedName("FailSafe"),
            NodeIds.Int64,
            new Variant(0L));
    lineModel =
        variable(
            line,
            "VisionSystem/Line/ModelVersion",
            newQualifiedName("ModelVersion"),
            NodeIds.String,
            new Variant(status.servedModel()));
    lineP99 =
        variable(
            line,
            "VisionSystem/Line/LatencyP99Ms",
            newQualifiedName("LatencyP99Ms"),
            NodeIds.Double,
            new Variant(Double.NaN));
    lineAlarms =
        variable(
            line,
            "VisionSystem/Line/Alarms",
            newQualifiedName("Alarms"),
            NodeIds.String,
            new Variant(new String[0]));
    lineAlarms.setValueRank(ValueRanks.OneDimension);
    lineSimulated =
        variable(
            line,
            "VisionSystem/Line/IsSimulated",
            mvName("IsSimulated"),
            NodeIds.Boolean,
            new Variant(status.simulated()));

    camerasFolder = object(visionSystem, "VisionSystem/Cameras", newQualifiedName("Cameras"));
    if (recipes != null) {
      buildRecipeManagement();
    }
  }

  private UaVariableNode activeRecipe;

  /** RecipeManagement over the model registry ({@link Recipes}). */
  private void buildRecipeManagement() {
    String base = "VisionSystem/RecipeManagement";
    UaObjectNode rcm = object(visionSystem, base, mvName("RecipeManagement"));
    activeRecipe =
        variable(
            rcm,
            base + "/ActiveRecipe",
            newQualifiedName("ActiveRecipe"),
            NodeIds.String,
            new Variant(status.servedModel()));
    method(
        rcm,
        base + "/GetRecipeListFiltered",
        mvName("GetRecipeListFiltered"),
        new Argument[] {arg("Name", NodeIds.String, "only this model's versions; \"\" = all")},
        new Argument[] {
          arg("RecipeIds", NodeIds.String, -2, "name@version, sorted"),
          arg("Problems", NodeIds.String, -2, "why each cannot be served; \"\" = servable"),
          arg("Error", NodeIds.Int32, "0, or 1 when the registry cannot be read")
        },
        false,
        (ctx, in) -> {
          String name = in[0].value() == null ? "" : in[0].value().toString();
          List<String> ids = new ArrayList<>();
          List<String> problems = new ArrayList<>();
          try {
            for (Recipes.Recipe r : recipes.list()) {
              if (name.isEmpty() || r.id().startsWith(name + "@")) {
                ids.add(r.id());
                problems.add(r.problem());
              }
            }
          } catch (java.io.IOException e) {
            return new Variant[] {
              new Variant(new String[0]), new Variant(new String[] {e.getMessage()}), new Variant(1)
            };
          }
          return new Variant[] {
            new Variant(ids.toArray(String[]::new)),
            new Variant(problems.toArray(String[]::new)),
            new Variant(0)
          };
        });
    method(
        rcm,
        base + "/ActivateRecipe",
        mvName("ActivateRecipe"),
        new Argument[] {arg("RecipeId", NodeIds.String, "name@version of a registered model")},
        new Argument[] {
          arg("Outcome", NodeIds.String, "ACTIVATED, UNCHANGED, REFUSED, INVALID, BUSY or FAILED"),
          arg("Message", NodeIds.String, "what happened (the gate's findings when it refused)"),
          arg("Error", NodeIds.Int32, "0 when the recipe is served now, else 1")
        },
        true,
        (ctx, in) -> {
          String id = in[0].value() == null ? "" : in[0].value().toString().strip();
          int at = id.lastIndexOf('@');
          if (at <= 0 || at == id.length() - 1) {
            throw new UaException(StatusCodes.Bad_InvalidArgument, "RecipeId: name@version");
          }
          Session session = ctx.getSession().orElse(null);
          String user =
              session != null && session.getIdentity() instanceof Identity.UsernameIdentity u
                  ? u.getUsername()
                  : "?";
          String client =
              session == null || session.getClientAddress() == null
                  ? "?"
                  : session.getClientAddress().getHostAddress();
          Recipes.Activation a =
              recipes.activate(user, client, id.substring(0, at), id.substring(at + 1));
          return new Variant[] {
            new Variant(a.outcome()), new Variant(a.message()), new Variant(a.ok() ? 0 : 1)
          };
        });
  }

  /** ResultReadyEventType: a subtype of BaseEventType with the result's fields as properties. */
  private void buildEventType() {
    eventType = newNodeId("Types/ResultReadyEventType");
    UaObjectTypeNode t =
        UaObjectTypeNode.builder(getNodeContext())
            .setNodeId(eventType)
            .setBrowseName(mvName("ResultReadyEventType"))
            .setDisplayName(LocalizedText.english("ResultReadyEventType"))
            .setIsAbstract(false)
            .build();
    getNodeManager().addNode(t);
    t.addReference(
        new Reference(eventType, NodeIds.HasSubtype, NodeIds.BaseEventType.expanded(), false));
    for (EventField f : EventField.values()) {
      UaVariableNode p =
          UaVariableNode.build(
              getNodeContext(),
              b ->
                  b.setNodeId(newNodeId("Types/ResultReadyEventType/" + f.name))
                      .setAccessLevel(AccessLevel.READ_ONLY)
                      .setBrowseName(qn(f))
                      .setDisplayName(LocalizedText.english(f.name))
                      .setDataType(f.type)
                      .setValueRank(f.array ? ValueRanks.OneDimension : ValueRanks.Scalar)
                      .setTypeDefinition(NodeIds.PropertyType)
                      .build());
      p.addReference(
          new Reference(
              p.getNodeId(),
              NodeIds.HasModellingRule,
              NodeIds.ModellingRule_Mandatory.expanded(),
              true));
      getNodeManager().addNode(p);
      t.addReference(new Reference(eventType, NodeIds.HasProperty, p.getNodeId().expanded(), true));
    }
    getServer()
        .getObjectTypeManager()
        .registerObjectType(eventType, BaseEventTypeNode.class, BaseEventTypeNode::new);
  }

  /** The fields a ResultReadyEvent carries besides BaseEventType's (docs/opcua.md). */
  enum EventField {
    RESULT_ID("ResultId", NodeIds.String, false, true),
    RESULT_STATE("ResultState", NodeIds.Int32, false, true),
    PART_ID("PartId", NodeIds.String, false, true),
    PROCESSING_TIMES("ProcessingTimes", NodeIds.Double, true, true),
    IS_SIMULATED("IsSimulated", NodeIds.Boolean, false, true),
    CAMERA_ID("CameraId", NodeIds.String, false, false),
    SEQUENCE("Sequence", NodeIds.Int64, false, false),
    VERDICT("Verdict", NodeIds.String, false, false),
    REASON("Reason", NodeIds.String, false, false),
    SCORE("Score", NodeIds.Double, false, false),
    LABEL("Label", NodeIds.String, false, false),
    MODEL_VERSION("ModelVersion", NodeIds.String, false, false),
    HASH("AuditHash", NodeIds.String, false, false);

    final String name;
    final NodeId type;
    final boolean array;
    final boolean machineVision;

    EventField(String name, NodeId type, boolean array, boolean machineVision) {
      this.name = name;
      this.type = type;
      this.array = array;
      this.machineVision = machineVision;
    }
  }

  QualifiedName qn(EventField f) {
    return f.machineVision ? mvName(f.name) : newQualifiedName(f.name);
  }

  private UaObjectNode object(UaNode parent, String id, QualifiedName name) {
    UaObjectNode o =
        UaObjectNode.builder(getNodeContext())
            .setNodeId(newNodeId(id))
            .setBrowseName(name)
            .setDisplayName(LocalizedText.english(name.name()))
            .setTypeDefinition(NodeIds.BaseObjectType)
            .build();
    getNodeManager().addNode(o);
    parent.addReference(
        new Reference(parent.getNodeId(), NodeIds.HasComponent, o.getNodeId().expanded(), true));
    return o;
  }

  private UaVariableNode variable(
      UaNode parent, String id, QualifiedName name, NodeId type, Variant value) {
    UaVariableNode v =
        new UaVariableNode.UaVariableNodeBuilder(getNodeContext())
            .setNodeId(newNodeId(id))
            .setAccessLevel(AccessLevel.READ_ONLY)
            .setUserAccessLevel(AccessLevel.READ_ONLY)
            .setBrowseName(name)
            .setDisplayName(LocalizedText.english(name.name()))
            .setDataType(type)
            .setTypeDefinition(NodeIds.BaseDataVariableType)
            .build();
    v.setValue(new DataValue(value));
    getNodeManager().addNode(v);
    parent.addReference(
        new Reference(parent.getNodeId(), NodeIds.HasComponent, v.getNodeId().expanded(), true));
    return v;
  }

  private static Argument arg(String name, NodeId type, String description) {
    return arg(name, type, ValueRanks.Scalar, description);
  }

  private static Argument arg(String name, NodeId type, int valueRank, String description) {
    return new Argument(
        name,
        type,
        valueRank,
        valueRank == ValueRanks.Scalar ? null : new UInteger[] {uint(0)},
        LocalizedText.english(description));
  }

  @FunctionalInterface
  private interface Body {
    Variant[] call(AbstractMethodInvocationHandler.InvocationContext ctx, Variant[] in)
        throws UaException;
  }

  private static Variant[] notSupported(
      AbstractMethodInvocationHandler.InvocationContext ctx, Variant[] in) throws UaException {
    throw new UaException(
        StatusCodes.Bad_NotSupported,
        "a continuous inline line is started and stopped with the service, not over OPC UA");
  }

  private void method(
      UaObjectNode parent,
      String id,
      QualifiedName name,
      Argument[] in,
      Argument[] out,
      boolean engineerOnly,
      Body body) {
    UaMethodNode m =
        UaMethodNode.builder(getNodeContext())
            .setNodeId(newNodeId(id))
            .setBrowseName(name)
            .setDisplayName(LocalizedText.english(name.name()))
            .build();
    m.setInputArguments(in);
    m.setOutputArguments(out);
    m.setInvocationHandler(
        new AbstractMethodInvocationHandler(m) {
          @Override
          public Argument[] getInputArguments() {
            return in;
          }

          @Override
          public Argument[] getOutputArguments() {
            return out;
          }

          @Override
          protected Variant[] invoke(InvocationContext ctx, Variant[] values) throws UaException {
            if (engineerOnly && !isEngineer(ctx.getSession().orElse(null))) {
              throw new UaException(
                  StatusCodes.Bad_UserAccessDenied, name.name() + " needs an engineer user");
            }
            return body.call(ctx, values);
          }
        });
    getNodeManager().addNode(m);
    parent.addComponent(m);
  }

  private boolean isEngineer(Session session) {
    if (session == null) {
      return false;
    }
    Identity id = session.getIdentity();
    return id instanceof Identity.UsernameIdentity u
        && Boolean.TRUE.equals(engineers.get(u.getUsername()));
  }

  private volatile boolean resetRequested;

  // ---- methods over the recent results (Milo's threads) ----

  private Variant[] getResultById(
      AbstractMethodInvocationHandler.InvocationContext ctx, Variant[] in) throws UaException {
    String id = in[0].value() == null ? "" : in[0].value().toString().strip();
    long n;
    try {
      n = Long.parseLong(id);
    } catch (NumberFormatException e) {
      return new Variant[] {new Variant(""), new Variant(1)};
    }
    synchronized (recent) {
      for (InspectionResult r : recent) {
        if (r.resultId() == n) {
          return new Variant[] {new Variant(r.line()), new Variant(0)};
        }
      }
    }
    return new Variant[] {new Variant(""), new Variant(1)};
  }

  private Variant[] getResultList(
      AbstractMethodInvocationHandler.InvocationContext ctx, Variant[] in) throws UaException {
    String camera = in[0].value() == null ? "" : in[0].value().toString();
    int state = in[1].value() == null ? 0 : ((Number) in[1].value()).intValue();
    long after = in[2].value() == null ? -1 : ((Number) in[2].value()).longValue();
    long max = in[3].value() == null ? 1000 : ((UInteger) in[3].value()).longValue();
    max = Math.min(Math.max(max, 0), 1000);
    Predicate<InspectionResult> keep =
        r ->
            r.resultId() > after
                && (camera.isEmpty() || camera.equals(r.camera()))
                && (state == 0 || state == r.resultState());
    List<String> ids = new ArrayList<>();
    List<String> lines = new ArrayList<>();
    synchronized (recent) {
      for (InspectionResult r : recent) {
        if (ids.size() >= max) {
          break;
        }
        if (keep.test(r)) {
          ids.add(Long.toString(r.resultId()));
          lines.add(r.line());
        }
      }
    }
    return new Variant[] {
      new Variant(ids.toArray(String[]::new)),
      new Variant(lines.toArray(String[]::new)),
      new Variant(0)
    };
  }

  // ---- the feed (opcua-feed thread) ----

  @Override
  public void onResult(InspectionResult r) {
    synchronized (recent) {
      recent.addLast(r);
      while (recent.size() > config.recentResults()) {
        recent.removeFirst();
      }
    }
    lastResultId = r.resultId();
    switch (r.resultState()) {
      case InspectionResult.STATE_OK -> ok++;
      case InspectionResult.STATE_NG -> ng++;
      default -> failSafe++;
    }
    long now = System.nanoTime();
    long epoch = Math.floorDiv(now, WINDOW_BUCKET_NS);
    int i = (int) Math.floorMod(epoch, (long) WINDOW_BUCKETS);
    if (windowEpoch[i] != epoch) {
      window[i].reset();
      windowEpoch[i] = epoch;
    }
    window[i].recordValue(Math.min(Math.max(r.latencyUs(), 1), 60_000_000L));
    if (camerasFolder == null) {
      return; // not built yet (the server is starting)
    }
    CameraNodes c = camera(r.camera());
    c.update(r);
    if (failuresOnly && !r.failure()) {
      return;
    }
    if (!takeToken(now)) {
      eventsSuppressed++;
      return;
    }
    fire(r, c);
  }

  private boolean takeToken(long nowNs) {
    int rate = config.maxEventsPerSecond();
    tokens = Math.min(rate, tokens + (nowNs - tokensAtNs) * 1e-9 * rate);
    tokensAtNs = nowNs;
    if (tokens < 1) {
      return false;
    }
    tokens -= 1;
    return true;
  }

  private void fire(InspectionResult r, CameraNodes c) {
    BaseEventTypeNode e;
    try {
      e = getServer().getEventFactory().createEvent(newNodeId("Event/" + r.resultId()), eventType);
    } catch (UaException ex) {
      eventsSuppressed++;
      return;
    }
    try {
      e.setBrowseName(mvName("ResultReadyEvent"));
      e.setDisplayName(LocalizedText.english("ResultReadyEvent"));
      byte[] eventId =
          ByteBuffer.allocate(16).putLong(r.resultId()).putLong(System.nanoTime()).array();
      e.setEventId(ByteString.of(eventId));
      e.setEventType(eventType);
      e.setSourceNode(c.object.getNodeId());
      e.setSourceName(r.camera());
      e.setTime(new DateTime(java.time.Instant.ofEpochSecond(0, r.receivedUs() * 1000)));
      e.setReceiveTime(DateTime.now());
      e.setMessage(
          LocalizedText.english(
              r.partId() + " " + r.verdict() + (r.judged() ? "" : " (" + r.reason() + ")")));
      e.setSeverity(
          ushort(r.resultState() == InspectionResult.STATE_OK ? 100 : r.judged() ? 500 : 700));
      set(e, EventField.RESULT_ID, new Variant(Long.toString(r.resultId())));
      set(e, EventField.RESULT_STATE, new Variant(r.resultState()));
      set(e, EventField.PART_ID, new Variant(r.partId()));
      set(e, EventField.PROCESSING_TIMES, new Variant(boxed(r.processingTimesMs())));
      set(e, EventField.IS_SIMULATED, new Variant(status.simulated()));
      set(e, EventField.CAMERA_ID, new Variant(r.camera()));
      set(e, EventField.SEQUENCE, new Variant(r.sequence()));
      set(e, EventField.VERDICT, new Variant(r.verdict()));
      set(e, EventField.REASON, new Variant(r.reason()));
      set(e, EventField.SCORE, new Variant(r.score()));
      set(e, EventField.LABEL, new Variant(r.label()));
      set(e, EventField.MODEL_VERSION, new Variant(r.model()));
      set(e, EventField.HASH, new Variant(r.hash()));
      getServer().getEventNotifier().fire(e);
      eventsRaised++;
    } finally {
      e.delete();
    }
  }

  private static Double[] boxed(double[] d) {
    Double[] b = new Double[d.length];
    for (int i = 0; i < d.length; i++) {
      b[i] = d[i];
    }
    return b;
  }

  private void set(BaseEventTypeNode e, EventField f, Variant v) {
    e.findNode(qn(f))
        .filter(n -> n instanceof UaVariableNode)
        .ifPresent(n -> ((UaVariableNode) n).setValue(new DataValue(v)));
  }

  @Override
  public void tick(long nowNs) {
    if (currentState == null) {
      return;
    }
    if (resetRequested) {
      resetRequested = false;
      eventsSuppressed = 0;
      tokens = config.maxEventsPerSecond();
    }
    LineStatus.State st = halted ? LineStatus.State.HALTED : status.state();
    setIfChanged(currentState, new Variant(LocalizedText.english(st.browseName())));
    setIfChanged(
        automaticState,
        new Variant(
            LocalizedText.english(
                st == LineStatus.State.OPERATIONAL ? "ContinuousExecution" : "")));
    long all = ok + ng + failSafe;
    setIfChanged(lineVerdicts, new Variant(all));
    setIfChanged(lineOk, new Variant(ok));
    setIfChanged(lineNg, new Variant(ng));
    setIfChanged(lineFailSafe, new Variant(failSafe));
    setIfChanged(lineYield, new Variant(all == 0 ? Double.NaN : (double) ok / all));
    setIfChanged(lineModel, new Variant(status.servedModel()));
    if (activeRecipe != null) {
      setIfChanged(activeRecipe, new Variant(status.servedModel()));
    }
    setIfChanged(lineP99, new Variant(p99Ms(nowNs)));
    setIfChanged(lineAlarms, new Variant(status.alarms().toArray(String[]::new)));
    setIfChanged(lineSimulated, new Variant(status.simulated()));
    setIfChanged(raised, new Variant(eventsRaised));
    setIfChanged(suppressed, new Variant(eventsSuppressed));
    setIfChanged(lastId, new Variant(lastResultId < 0 ? "" : Long.toString(lastResultId)));
    Set<String> connected = status.connectedCameras();
    for (String id : connected) {
      camera(id);
    }
    for (CameraNodes c : cameras.values()) {
      setIfChanged(c.connected, new Variant(connected.contains(c.id)));
    }
  }

  private double p99Ms(long nowNs) {
    long epoch = Math.floorDiv(nowNs, WINDOW_BUCKET_NS);
    Histogram h = null;
    for (int i = 0; i < WINDOW_BUCKETS; i++) {
      if (windowEpoch[i] != Long.MIN_VALUE && epoch - windowEpoch[i] < WINDOW_BUCKETS) {
        if (h == null) {
          h = new Histogram(1, 60_000_000L, 3);
        }
        h.add(window[i]);
      }
    }
    return h == null || h.getTotalCount() == 0 ? Double.NaN : h.getValueAtPercentile(99) / 1000.0;
  }

  private static void setIfChanged(UaVariableNode n, Variant v) {
    Variant old = n.getValue().value();
    if (!java.util.Objects.deepEquals(old.value(), v.value())) {
      n.setValue(new DataValue(v));
    }
  }

  /** The service is stopping: the state machine says Halted from now on. */
  void halting() {
    halted = true;
  }

  /** The ids of the recent results, oldest first (tests). */
  List<Long> recentIds() {
    synchronized (recent) {
      List<Long> ids = new ArrayList<>(recent.size());
      for (Iterator<InspectionResult> it = recent.iterator(); it.hasNext(); ) {
        ids.add(it.next().resultId());
      }
      return ids;
    }
  }

  private CameraNodes camera(String id) {
    CameraNodes c = cameras.get(id);
    if (c == null) {
      c = new CameraNodes(id);
      cameras.put(id, c);
    }
    return c;
  }

  /** One camera's object: connection, last result, counters. Feed thread only. */
  private final class CameraNodes {
    final String id;
    final UaObjectNode object;
    final UaVariableNode connected;
    final UaVariableNode lastResultId;
    final UaVariableNode lastPartId;
    final UaVariableNode lastSequence;
    final UaVariableNode lastVerdict;
    final UaVariableNode lastState;
    final UaVariableNode lastReason;
    final UaVariableNode lastScore;
    final UaVariableNode okNode;
    final UaVariableNode ngNode;
    final UaVariableNode failSafeNode;
    final Map<String, UaVariableNode> byReason = new LinkedHashMap<>();
    final Map<String, Long> reasonCounts = new LinkedHashMap<>();
    long okCount;
    long ngCount;
    long failSafeCount;

    CameraNodes(String id) {
      this.id = id;
      String base = "VisionSystem/Cameras/" + id;
      object =
          UaObjectNode.builder(getNodeContext())
              .setNodeId(newNodeId(base))
              .setBrowseName(newQualifiedName(id))
              .setDisplayName(LocalizedText.english(id))
              .setTypeDefinition(NodeIds.BaseObjectType)
              .setEventNotifier(ubyte(1))
              .build();
      getNodeManager().addNode(object);
      camerasFolder.addReference(
          new Reference(
              camerasFolder.getNodeId(),
              NodeIds.HasComponent,
              object.getNodeId().expanded(),
              true));
      connected =
          variable(
              object,
              base + "/Connected",
              newQualifiedName("Connected"),
              NodeIds.Boolean,
              new Variant(false));
      lastResultId =
          variable(
              object,
              base + "/LastResultId",
              newQualifiedName("LastResultId"),
              NodeIds.String,
              new Variant(""));
      lastPartId =
          variable(
              object,
              base + "/LastPartId",
              newQualifiedName("LastPartId"),
              NodeIds.String,
              new Variant(""));
      lastSequence =
          variable(
              object,
              base + "/LastSequence",
              newQualifiedName("LastSequence"),
              NodeIds.Int64,
              new Variant(-1L));
      lastVerdict =
          variable(
              object,
              base + "/LastVerdict",
              newQualifiedName("LastVerdict"),
              NodeIds.String,
              new Variant(""));
      lastState =
          variable(
              object,
              base + "/LastResultState",
              newQualifiedName("LastResultState"),
              NodeIds.Int32,
              new Variant(0));
      lastReason =
          variable(
              object,
              base + "/LastReason",
              newQualifiedName("LastReason"),
              NodeIds.String,
              new Variant(""));
      lastScore =
          variable(
              object,
              base + "/LastScore",
              newQualifiedName("LastScore"),
              NodeIds.Double,
              new Variant(Double.NaN));
      okNode =
          variable(object, base + "/Ok", newQualifiedName("Ok"), NodeIds.Int64, new Variant(0L));
      ngNode =
          variable(object, base + "/Ng", newQualifiedName("Ng"), NodeIds.Int64, new Variant(0L));
      failSafeNode =
          variable(
              object,
              base + "/FailSafe",
              newQualifiedName("FailSafe"),
              NodeIds.Int64,
              new Variant(0L));
      UaObjectNode reasons =
          object(object, base + "/FailSafeByReason", newQualifiedName("FailSafeByReason"));
      for (ReasonCode rc : ReasonCode.all()) {
        if (rc == ReasonCode.NONE) {
          continue;
        }
        String n = rc.name();
        byReason.put(
            n,
            variable(
                reasons,
                base + "/FailSafeByReason/" + n,
                newQualifiedName(n),
                NodeIds.Int64,
                new Variant(0L)));
        reasonCounts.put(n, 0L);
      }
    }

    void update(InspectionResult r) {
      switch (r.resultState()) {
        case InspectionResult.STATE_OK -> okNode.setValue(new DataValue(new Variant(++okCount)));
        case InspectionResult.STATE_NG -> ngNode.setValue(new DataValue(new Variant(++ngCount)));
        default -> {
          failSafeNode.setValue(new DataValue(new Variant(++failSafeCount)));
          UaVariableNode n = byReason.get(r.reason());
          if (n != null) {
            long v = reasonCounts.merge(r.reason(), 1L, Long::sum);
            n.setValue(new DataValue(new Variant(v)));
          }
        }
      }
      lastResultId.setValue(new DataValue(new Variant(Long.toString(r.resultId()))));
      lastPartId.setValue(new DataValue(new Variant(r.partId())));
      lastSequence.setValue(new DataValue(new Variant(r.sequence())));
      lastVerdict.setValue(new DataValue(new Variant(r.verdict())));
      lastState.setValue(new DataValue(new Variant(r.resultState())));
      lastReason.setValue(new DataValue(new Variant(r.reason())));
      lastScore.setValue(new DataValue(new Variant(r.score())));
    }
  }

  @Override
  public void onDataItemsCreated(List<DataItem> dataItems) {
    subscriptions.onDataItemsCreated(dataItems);
  }

  @Override
  public void onDataItemsModified(List<DataItem> dataItems) {
    subscriptions.onDataItemsModified(dataItems);
  }

  @Override
  public void onDataItemsDeleted(List<DataItem> dataItems) {
    subscriptions.onDataItemsDeleted(dataItems);
  }

  @Override
  public void onMonitoringModeChanged(List<MonitoredItem> monitoredItems) {
    subscriptions.onMonitoringModeChanged(monitoredItems);
  }
}
