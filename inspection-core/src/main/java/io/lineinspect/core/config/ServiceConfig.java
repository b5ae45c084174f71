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
}
