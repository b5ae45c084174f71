package io.lineinspect.core.config;

/**
 * The whole, validated configuration of one service instance (one line). Immutable; built once at
 * start-up by {@link ConfigLoader}; stages receive the parts they need and never read it again.
 * Every key is documented in {@code docs/configuration.md}.
 */
public record ServiceConfig(
    LineConfig line, IngestConfig ingest, PipelineConfig pipeline, InferenceConfig inference) {
  public ServiceConfig {
    if (line == null) {
      throw new ConfigException("line: required section is missing");
    }
    ingest = ingest == null ? IngestConfig.defaults() : ingest;
    pipeline = pipeline == null ? PipelineConfig.defaults() : pipeline;
    inference = inference == null ? InferenceConfig.defaults() : inference;
  }

  /**
   * Ring entries keep the largest payload they have held, so the frames held at once can take up to
   * {@code ringSize × maxMessageBytes} of heap. Refuses a configuration where that cannot fit into
   * {@code maxHeapBytes} with room to spare, instead of running out of memory on the line.
   */
  public void checkFitsHeap(long maxHeapBytes) {
    long worst = (long) pipeline.ringSize() * ingest.maxMessageBytes();
    if (worst > maxHeapBytes * 3 / 4) {
      throw new ConfigException(
          String.format(
              java.util.Locale.ROOT,
              "pipeline.ringSize (%d) x ingest.maxMessageBytes (%d) = %.1f GiB of frames could be"
                  + " held at once, more than 3/4 of the Java heap (%.1f GiB): lower one of them"
                  + " or give the JVM more heap (INSPECT_JAVA_OPTS=-Xmx...)",
              pipeline.ringSize(),
              ingest.maxMessageBytes(),
              worst / 1073741824.0,
              maxHeapBytes / 1073741824.0));
    }
  }
}
