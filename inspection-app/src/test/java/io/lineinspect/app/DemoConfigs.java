package io.lineinspect.app;

import io.lineinspect.core.config.ConfigLoader;
import io.lineinspect.core.config.InferenceConfig;
import io.lineinspect.core.config.PipelineConfig;
import io.lineinspect.core.config.ServiceConfig;
import java.nio.file.Path;

/**
 * The shipped demo configuration as the app's tests start it: loaded from {@code
 * configs/demo-line.yaml}, then cut down to the line path (the demo's line, pipeline and inference
 * settings, the camera port on loopback) with the backend the test asks for; nothing around the
 * line (no outputs, audit, archive, admin endpoint or warm start) unless the test adds it with
 * {@code ServiceConfig.with…}.
 */
public final class DemoConfigs {
  private DemoConfigs() {}

  /** {@code configs/demo-line.yaml} as shipped (tests run in a module directory). */
  public static ServiceConfig load() {
    return ConfigLoader.load(Path.of("..", "configs", "demo-line.yaml"));
  }

  /** The demo's inference settings, judged by {@code backend} ({@code builtin} or {@code djl}). */
  public static InferenceConfig inference(ServiceConfig demo, String backend) {
    return new InferenceConfig(backend, demo.inference().builtin(), demo.inference().djl());
  }

  /** The demo line on a free loopback port, judged by {@code backend}. */
  public static ServiceConfig onLoopback(String backend) {
    return onLoopback(load(), backend, 0);
  }

  /**
   * {@code demo}'s line on loopback port {@code cameraPort} (0: a free one), judged by {@code
   * backend}.
   */
  public static ServiceConfig onLoopback(ServiceConfig demo, String backend, int cameraPort) {
    return onLoopback(demo, backend, cameraPort, demo.pipeline());
  }

  /** As {@link #onLoopback(ServiceConfig, String, int)}, with other pipeline settings. */
  public static ServiceConfig onLoopback(
      ServiceConfig demo, String backend, int cameraPort, PipelineConfig pipeline) {
    return new ServiceConfig(
        demo.line(),
        demo.ingest().listeningOn("127.0.0.1", cameraPort),
        pipeline,
        inference(demo, backend));
  }
}
