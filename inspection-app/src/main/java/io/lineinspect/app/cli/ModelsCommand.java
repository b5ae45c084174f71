package io.lineinspect.app.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lineinspect.app.InspectCommand;
import io.lineinspect.app.admin.AdminToken;
import io.lineinspect.app.models.ModelRegistry;
import io.lineinspect.app.models.ModelState;
import io.lineinspect.core.config.ConfigLoader;
import io.lineinspect.core.config.ServiceConfig;
import io.lineinspect.core.tls.PemTls;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code inspect models list|status|activate|rollback}: the model registry on disk, and the model
 * lifecycle of a running service through its admin API (docs/models.md).
 */
@Command(
    name = "models",
    mixinStandardHelpOptions = true,
    description =
        "Model registry and lifecycle: list, status, activate, rollback, shadow, quality"
            + " (docs/models.md).",
    subcommands = {
      ModelsCommand.ListVersions.class,
      ModelsCommand.Status.class,
      ModelsCommand.Activate.class,
      ModelsCommand.Rollback.class,
      ModelsCommand.Shadow.class,
      QualityCommand.class
    })
public final class ModelsCommand implements Runnable {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Exit status when a candidate was refused (by the gate or as invalid). */
  static final int REFUSED = 3;

  @Override
  public void run() {
    new picocli.CommandLine(this).usage(System.out);
  }

  /** The service to talk to: --url and --token, or the admin section of --config. */
  static final class Target {
    @Option(
        names = "--config",
        description = "Line configuration (default configs/demo-line.yaml of the install).")
    Path config;

    @Option(
        names = "--url",
        description =
            "Admin endpoint of the service (default http://admin.host:admin.port, https:// when"
                + " admin.tls.enabled).")
    String url;

    @Option(
        names = "--ca",
        description =
            "PEM certificates to trust for an https:// endpoint (default: admin.tls.certFile of"
                + " --config when admin.tls is enabled, else the JDK's trust store).")
    Path ca;

    @Option(
        names = "--token",
        description = "Admin token (default admin.token, or the content of admin.tokenFile).")
    String token;

    ServiceConfig load() {
      return ConfigLoader.load(
          config != null ? config : InspectCommand.home().resolve("configs/demo-line.yaml"));
    }

    String baseUrl(ServiceConfig c) {
      if (url != null) {
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
      }
      String scheme = c.admin().tls().enabled() ? "https://" : "http://";
      return scheme + c.admin().host() + ":" + c.admin().port();
    }

    /** A client for {@link #baseUrl}: HTTPS trusts {@code --ca}, else the service's own cert. */
    Client client(ServiceConfig c) {
      String base = baseUrl(c);
      HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3));
      if (base.startsWith("https://")) {
        Path trusted = ca;
        String key = "--ca";
        if (trusted == null && c.admin().tls().enabled()) {
          trusted = InspectCommand.home().resolve(c.admin().tls().certFile());
          key = "admin.tls.certFile";
        }
        if (trusted != null) {
          b.sslContext(PemTls.context(null, PemTls.certificates(key, trusted)));
        }
      }
      return new Client(base, token(c), b.build());
    }

    String token(ServiceConfig c) {
      return token != null ? token : AdminToken.resolve(c.admin(), InspectCommand.home(), false);
    }
  }

  /** One request to the admin API; a service that is not there is a clear message, not a trace. */
  static final class Client {
    private final HttpClient http;
    private final String base;
    private final String token;

    Client(String base, String token, HttpClient http) {
      this.base = base;
      this.token = token;
      this.http = http;
    }

    record Reply(int status, JsonNode body) {}

    Reply call(String method, String path, Object body) throws IOException, InterruptedException {
      HttpRequest.Builder b =
          HttpRequest.newBuilder(URI.create(base + path))
              .timeout(Duration.ofMinutes(10))
              .header("Authorization", "Bearer " + token);
      if (body == null) {
        b.method(method, HttpRequest.BodyPublishers.noBody());
      } else {
        b.header("Content-Type", "application/json")
            .method(method, HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
      }
      HttpResponse<byte[]> r;
      try {
        r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
      } catch (ConnectException e) {
        throw new IOException(
            "no service answers at "
                + base
                + " (is `inspect serve` running? admin.enabled, admin.host/port, or --url)",
            e);
      } catch (javax.net.ssl.SSLException e) {
        throw new IOException(
            "TLS to "
                + base
                + " failed: "
                + e.getMessage()
                + " (an https:// endpoint needs --ca with the certificate of the service or its"
                + " CA; an http:// URL to an HTTPS port is refused)",
            e);
      }
      JsonNode n;
      try {
        n = JSON.readTree(r.body());
      } catch (IOException e) {
        throw new IOException(
            base + path + " answered " + r.statusCode() + " with something that is not JSON", e);
      }
      return new Reply(r.statusCode(), n);
    }
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description =
          "Every version in the registry (models.registry), checked (manifest, SHA-256), with the"
              + " served one and the rollback target when the service answers.")
  static final class ListVersions implements Callable<Integer> {
    @Mixin Target target;

    private final PrintStream out;

    ListVersions() {
      this(System.out);
    }

    ListVersions(PrintStream out) {
      this.out = out;
    }

    @Override
    public Integer call() throws Exception {
      ServiceConfig c = target.load();
      ModelRegistry registry =
          new ModelRegistry(InspectCommand.home().resolve(c.models().registry()));
      String served = null;
      String rollback = null;
      String source;
      try {
        Client.Reply r = target.client(c).call("GET", "/models/status", null);
        if (r.status() != 200) {
          throw new IOException(r.body().path("error").asText("HTTP " + r.status()));
        }
        served = r.body().path("served").path("id").asText(null);
        rollback = r.body().path("rollbackTo").asText(null);
        source = "running service at " + target.baseUrl(c);
      } catch (IOException | RuntimeException e) {
        ModelState s = ModelState.load(InspectCommand.home().resolve(c.models().state()));
        served = s.served() == null ? null : s.served().id();
        rollback = s.history().isEmpty() ? null : s.history().get(0).id();
        source =
            "no running service ("
                + e.getMessage()
                + "); "
                + (served == null
                    ? "no activation recorded: the service starts with inference.djl.manifest"
                    : "recorded in " + c.models().state());
      }
      out.printf(Locale.ROOT, "registry %s%n", registry.root());
      out.printf(
          Locale.ROOT,
          "%-28s %-14s %-9s %-9s %s%n",
          "MODEL",
          "SHA-256",
          "THRESHOLD",
          "ROLE",
          "PROBLEM");
      int bad = 0;
      for (ModelRegistry.Version v : registry.list()) {
        String role = v.id().equals(served) ? "served" : v.id().equals(rollback) ? "rollback" : "";
        if (v.problem() != null) {
          bad++;
        }
        out.printf(
            Locale.ROOT,
            "%-28s %-14s %-9s %-9s %s%n",
            v.id(),
            v.sha256() == null ? "-" : v.sha256().substring(0, 12) + "…",
            v.threshold() == null ? "-" : v.threshold().toString(),
            role,
            v.problem() == null ? "" : v.problem());
      }
      out.println("served/rollback from: " + source);
      return bad == 0 ? 0 : 1;
    }
  }

  @Command(
      name = "status",
      mixinStandardHelpOptions = true,
      description = "What the running service serves, its rollback target and the last operation.")
  static final class Status implements Callable<Integer> {
    @Mixin Target target;

    @Override
    public Integer call() throws Exception {
      ServiceConfig c = target.load();
      Client.Reply r = target.client(c).call("GET", "/models/status", null);
      System.out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(r.body()));
      return r.status() == 200 ? 0 : 1;
    }
  }

  @Command(
      name = "activate",
      mixinStandardHelpOptions = true,
      description =
          "Load NAME VERSION from the registry beside the served model, warm it up, check it"
              + " against its golden set and recent line images, and serve it from the next batch"
              + " on. Exit 0 when served, 3 when refused (the served model stays).")
  static final class Activate implements Callable<Integer> {
    @Mixin Target target;

    @Parameters(index = "0", description = "Model name (directory under models.registry).")
    String name;

    @Parameters(index = "1", description = "Version (directory under the name).")
    String version;

    @Override
    public Integer call() throws Exception {
      ServiceConfig c = target.load();
      Client client = target.client(c);
      System.out.println("activating " + name + "@" + version + " at " + target.baseUrl(c) + " …");
      return run(client, "/models/activate", Map.of("name", name, "version", version));
    }
  }

  @Command(
      name = "rollback",
      mixinStandardHelpOptions = true,
      description =
          "Serve the version served before the current one again (at once when it is still"
              + " loaded). Exit 0 when done.")
  static final class Rollback implements Callable<Integer> {
    @Mixin Target target;

    @Override
    public Integer call() throws Exception {
      ServiceConfig c = target.load();
      Client client = target.client(c);
      return run(client, "/models/rollback", null);
    }
  }

  @Command(
      name = "shadow",
      mixinStandardHelpOptions = true,
      description =
          "Run NAME VERSION in shadow of the served model (a sample of frames, spare capacity"
              + " only, disagreements recorded with images, verdicts unchanged), or --stop it.")
  static final class Shadow implements Callable<Integer> {
    @Mixin Target target;

    @Parameters(index = "0", arity = "0..1", description = "Model name.")
    String name;

    @Parameters(index = "1", arity = "0..1", description = "Version.")
    String version;

    @Option(names = "--stop", description = "Stop the shadow model and print its counts.")
    boolean stop;

    @Override
    public Integer call() throws Exception {
      ServiceConfig c = target.load();
      Client client = target.client(c);
      if (stop) {
        return run(client, "DELETE", "/models/shadow", null);
      }
      if (name == null || version == null) {
        throw new picocli.CommandLine.ParameterException(
            new picocli.CommandLine(this), "give NAME VERSION, or --stop");
      }
      return run(client, "POST", "/models/shadow", Map.of("name", name, "version", version));
    }
  }

  /** Posts an operation, printing the service's progress (polled) until it answers. */
  static int run(Client client, String path, Object body) throws Exception {
    return run(client, "POST", path, body);
  }

  /** Sends an operation, printing the service's progress (polled) until it answers. */
  static int run(Client client, String method, String path, Object body) throws Exception {
    AtomicBoolean done = new AtomicBoolean();
    java.util.Set<String> printed = java.util.concurrent.ConcurrentHashMap.newKeySet();
    Thread progress =
        new Thread(
            () -> {
              String last = "idle";
              while (!done.get()) {
                try {
                  Thread.sleep(500);
                  Client.Reply s = client.call("GET", "/models/status", null);
                  String step = s.body().path("operation").asText("idle");
                  if (!step.equals(last) && !step.equals("idle") && !done.get()) {
                    System.out.println("  " + step);
                    printed.add(step);
                  }
                  last = step;
                } catch (InterruptedException e) {
                  return;
                } catch (IOException | RuntimeException e) {
                  // progress is a courtesy; the answer of the operation itself decides
                }
              }
            },
            "models-progress");
    progress.setDaemon(true);
    progress.start();
    Client.Reply r;
    try {
      r = client.call(method, path, body);
    } finally {
      done.set(true);
      progress.interrupt();
    }
    JsonNode b = r.body();
    if (b.has("error")) {
      System.out.println("error: " + b.get("error").asText());
      return 1;
    }
    for (JsonNode step : b.path("steps")) {
      if (!printed.contains(step.asText())) {
        System.out.println("  " + step.asText());
      }
    }
    JsonNode gate = b.path("gate");
    if (gate.isObject()) {
      for (JsonNode e : gate.path("examples")) {
        System.out.println("    wrong: " + e.asText());
      }
    }
    String outcome = b.path("outcome").asText();
    System.out.println(outcome + ": " + b.path("message").asText());
    System.out.println("served now: " + b.path("served").asText());
    return switch (outcome) {
      case "ACTIVATED", "UNCHANGED", "DONE" -> 0;
      case "REFUSED", "INVALID" -> REFUSED;
      default -> 1;
    };
  }
}
