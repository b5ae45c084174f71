package io.lineinspect.opcua;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.eclipse.milo.opcua.sdk.client.OpcUaClient;
import org.eclipse.milo.opcua.sdk.client.identity.UsernameProvider;
import org.eclipse.milo.opcua.sdk.client.subscriptions.OpcUaMonitoredItem;
import org.eclipse.milo.opcua.sdk.client.subscriptions.OpcUaSubscription;
import org.eclipse.milo.opcua.stack.core.AttributeId;
import org.eclipse.milo.opcua.stack.core.NodeIds;
import org.eclipse.milo.opcua.stack.core.UaException;
import org.eclipse.milo.opcua.stack.core.security.DefaultClientCertificateValidator;
import org.eclipse.milo.opcua.stack.core.security.MemoryCertificateQuarantine;
import org.eclipse.milo.opcua.stack.core.security.MemoryTrustListManager;
import org.eclipse.milo.opcua.stack.core.security.SecurityPolicy;
import org.eclipse.milo.opcua.stack.core.types.builtin.DataValue;
import org.eclipse.milo.opcua.stack.core.types.builtin.LocalizedText;
import org.eclipse.milo.opcua.stack.core.types.builtin.NodeId;
import org.eclipse.milo.opcua.stack.core.types.builtin.QualifiedName;
import org.eclipse.milo.opcua.stack.core.types.builtin.StatusCode;
import org.eclipse.milo.opcua.stack.core.types.builtin.Variant;
import org.eclipse.milo.opcua.stack.core.types.enumerated.MessageSecurityMode;
import org.eclipse.milo.opcua.stack.core.types.enumerated.TimestampsToReturn;
import org.eclipse.milo.opcua.stack.core.types.structured.CallMethodRequest;
import org.eclipse.milo.opcua.stack.core.types.structured.CallMethodResult;
import org.eclipse.milo.opcua.stack.core.types.structured.ContentFilter;
import org.eclipse.milo.opcua.stack.core.types.structured.EventFilter;
import org.eclipse.milo.opcua.stack.core.types.structured.SimpleAttributeOperand;
import org.eclipse.milo.opcua.stack.core.util.SelfSignedCertificateBuilder;
import org.eclipse.milo.opcua.stack.core.util.SelfSignedCertificateGenerator;

/**
 * A Milo client for the tests: its own self-signed application certificate, user name and password,
 * the server's certificate pinned ({@code <opcua.dir>/server.der}). What the docs tell a PLC or
 * SCADA integrator to do, in Java.
 */
public final class UaTestClient implements AutoCloseable {
  /** A client application identity: key pair and self-signed certificate. */
  public record Identity(KeyPair keyPair, X509Certificate certificate) {
    public static Identity generate(String name) throws Exception {
      KeyPair kp = SelfSignedCertificateGenerator.generateRsaKeyPair(2048);
      X509Certificate c =
          new SelfSignedCertificateBuilder(kp)
              .setCommonName(name)
              .setOrganization("test")
              .setApplicationUri("urn:lineinspect:test:" + name)
              .addDnsName("localhost")
              .addIpAddress("127.0.0.1")
              .build();
      return new Identity(kp, c);
    }

    /** Puts the certificate into the server's trust list ({@code <dir>/pki/trusted/certs}). */
    public void trustAt(Path opcuaDir) throws Exception {
      Path d = opcuaDir.resolve("pki").resolve("trusted").resolve("certs");
      Files.createDirectories(d);
      Files.write(
          d.resolve(certificate.getSubjectX500Principal().getName().hashCode() + ".der"),
          certificate.getEncoded());
    }
  }

  private final OpcUaClient client;
  private final int mv;
  private final int li;

  /** Names of the ResultReadyEvent fields selected by {@link #subscribeResults}, in order. */
  public static final List<String> FIELDS =
      List.of(
          "mv:ResultId",
          "mv:ResultState",
          "mv:PartId",
          "li:CameraId",
          "li:Sequence",
          "li:Verdict",
          "li:Reason",
          "mv:ProcessingTimes",
          "mv:IsSimulated",
          "li:ModelVersion",
          "li:AuditHash",
          "li:Score",
          "0:Severity");

  private UaTestClient(OpcUaClient client) {
    this.client = client;
    this.mv = client.getNamespaceTable().getIndex(VisionNamespace.MV_URI).intValue();
    this.li = client.getNamespaceTable().getIndex(VisionNamespace.URI).intValue();
  }

  /**
   * Connects to {@code endpointUrl} with {@code policy} ({@code Basic256Sha256}: SignAndEncrypt).
   *
   * @throws UaException when the server refuses (certificate, user)
   */
  public static UaTestClient connect(
      String endpointUrl,
      Path serverCertificate,
      Identity me,
      String user,
      String password,
      SecurityPolicy policy)
      throws Exception {
    X509Certificate server;
    try (var in = Files.newInputStream(serverCertificate)) {
      server = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
    var trust = new MemoryTrustListManager();
    trust.addTrustedCertificate(server);
    OpcUaClient c =
        OpcUaClient.create(
            endpointUrl,
            endpoints ->
                endpoints.stream()
                    .filter(e -> e.getSecurityPolicyUri().equals(policy.getUri()))
                    .filter(
                        e ->
                            policy == SecurityPolicy.None
                                || e.getSecurityMode() == MessageSecurityMode.SignAndEncrypt)
                    .findFirst(),
            transport -> {},
            config ->
                config
                    .setApplicationName(LocalizedText.english("lineinspect test client"))
                    .setApplicationUri(
                        "urn:lineinspect:test:"
                            + me.certificate()
                                .getSubjectX500Principal()
                                .getName()
                                .replaceAll(".*CN=([^,]*).*", "$1"))
                    .setKeyPair(me.keyPair())
                    .setCertificate(me.certificate())
                    .setCertificateChain(new X509Certificate[] {me.certificate()})
                    .setCertificateValidator(
                        new DefaultClientCertificateValidator(
                            trust, new MemoryCertificateQuarantine()))
                    .setIdentityProvider(new UsernameProvider(user, password)));
    try {
      c.connect();
    } catch (UaException e) {
      try {
        c.disconnect();
      } catch (UaException ignored) {
        // not connected
      }
      throw e;
    }
    return new UaTestClient(c);
  }

  public OpcUaClient raw() {
    return client;
  }

  /** A node of the line's namespace by its string id, e.g. {@code VisionSystem/Line/Yield}. */
  public NodeId node(String id) {
    return new NodeId(li, id);
  }

  public DataValue read(String id) throws UaException {
    return client.readValue(0, TimestampsToReturn.Neither, node(id));
  }

  public Object value(String id) throws UaException {
    return read(id).value().value();
  }

  /** Calls method {@code method} of object {@code object} (string ids of the line's namespace). */
  public CallMethodResult call(String object, String method, Variant... in) throws UaException {
    return client.call(List.of(new CallMethodRequest(node(object), node(method), in)))
        .getResults()[0];
  }

  public static boolean isGood(CallMethodResult r) {
    return r.getStatusCode().isGood();
  }

  public static long status(CallMethodResult r) {
    StatusCode s = r.getStatusCode();
    return s.value();
  }

  /** The fields of one ResultReadyEvent, by the names of {@link #FIELDS}. */
  public record Event(Map<String, Object> fields) {
    public Object get(String name) {
      return fields.get(name);
    }
  }

  /** Subscribes to the Server object's events at {@code intervalMs}; events go to the list. */
  public OpcUaSubscription subscribeResults(double intervalMs, List<Event> into)
      throws UaException {
    var subscription = new OpcUaSubscription(client, intervalMs);
    subscription.create();
    SimpleAttributeOperand[] select = new SimpleAttributeOperand[FIELDS.size()];
    for (int i = 0; i < FIELDS.size(); i++) {
      String f = FIELDS.get(i);
      String ns = f.substring(0, f.indexOf(':'));
      int index = ns.equals("mv") ? mv : ns.equals("li") ? li : 0;
      select[i] =
          new SimpleAttributeOperand(
              NodeIds.BaseEventType,
              new QualifiedName[] {new QualifiedName(index, f.substring(f.indexOf(':') + 1))},
              AttributeId.Value.uid(),
              null);
    }
    var item =
        OpcUaMonitoredItem.newEventItem(
            NodeIds.Server, new EventFilter(select, new ContentFilter(null)));
    item.setQueueSize(
        org.eclipse.milo.opcua.stack.core.types.builtin.unsigned.Unsigned.uint(10_000));
    item.setEventValueListener(
        (it, values) -> {
          Map<String, Object> m = new ConcurrentHashMap<>();
          for (int i = 0; i < values.length && i < FIELDS.size(); i++) {
            if (values[i].value() != null) {
              m.put(FIELDS.get(i), values[i].value());
            }
          }
          if (m.containsKey("mv:ResultId")) {
            into.add(new Event(m));
          }
        });
    subscription.addMonitoredItem(item);
    subscription.synchronizeMonitoredItems();
    return subscription;
  }

  /** A new list safe to fill from Milo's threads. */
  public static List<Event> events() {
    return new CopyOnWriteArrayList<>();
  }

  /** Browse names of the forward hierarchical children of {@code id}. */
  public List<String> children(String id) throws UaException {
    List<String> names = new ArrayList<>();
    var r =
        client.browse(
            new org.eclipse.milo.opcua.stack.core.types.structured.BrowseDescription(
                node(id),
                org.eclipse.milo.opcua.stack.core.types.enumerated.BrowseDirection.Forward,
                NodeIds.HierarchicalReferences,
                true,
                org.eclipse.milo.opcua.stack.core.types.builtin.unsigned.Unsigned.uint(0),
                org.eclipse.milo.opcua.stack.core.types.builtin.unsigned.Unsigned.uint(63)));
    if (r.getReferences() != null) {
      for (var ref : r.getReferences()) {
        names.add(ref.getBrowseName().name());
      }
    }
    return names;
  }

  @Override
  public void close() {
    try {
      client.disconnect();
    } catch (UaException e) {
      // closing anyway
    }
  }
}
