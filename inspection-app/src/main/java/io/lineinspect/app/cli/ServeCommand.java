package io.lineinspect.app.cli;

import io.lineinspect.app.InspectCommand;
import io.lineinspect.app.InspectionService;
import io.lineinspect.app.StatusLine;
import io.lineinspect.core.config.ConfigLoader;
import io.lineinspect.core.config.ServiceConfig;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code inspect serve}: the production service for one line, with a status line every {@code
 * --status-every} seconds ({@link StatusLine}).
 */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description = "Run the service for a line until stopped (Ctrl-C / SIGTERM).")
public final class ServeCommand implements Callable<Integer> {
  @Option(names = "--config", required = true, description = "Line configuration (YAML).")
  Path config;

  @Option(
      names = "--status-every",
      defaultValue = "10",
      description = "Seconds between status lines, 0 for none (default ${DEFAULT-VALUE}).")
  int statusEvery;

  @Override
  public Integer call() throws Exception {
    ServiceConfig cfg = ConfigLoader.load(config);
    InspectionService service = new InspectionService(cfg, InspectCommand.home());
    int port = service.start();
    System.out.printf(
        Locale.ROOT,
        "ready: line %s, model %s, cameras on %s:%d (%s), budget %d ms%s%n",
        cfg.line().name(),
        service.servedModel() == null ? "none" : service.servedModel().id(),
        cfg.ingest().host(),
        port,
        service.server().transport(),
        cfg.line().budgetMs(),
        StatusLine.adminUrl(service));
    String dashboard = StatusLine.dashboardUrl(service);
    if (!dashboard.isEmpty()) {
      System.out.println("dashboard: " + dashboard);
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  System.out.println("stopping: draining frames in flight");
                  service.close();
                  stopped.countDown();
                },
                "shutdown"));
    while (!stopped.await(
        Math.max(1, statusEvery) * 1000L, java.util.concurrent.TimeUnit.MILLISECONDS)) {
      if (statusEvery > 0) {
        System.out.println(StatusLine.of(service));
      }
    }
    return 0;
  }
}
