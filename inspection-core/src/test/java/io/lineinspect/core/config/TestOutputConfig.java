package io.lineinspect.core.config;

/** An actuator output type known to the core's own tests only ({@link TestConfigModule}). */
public record TestOutputConfig(String name) implements ActuatorOutputConfig {}
